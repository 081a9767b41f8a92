# bench/gen.awk - daily reports for every town, as pingan CSV (csv=FILE) and
# as the equivalent raw COPY rows of pingan.value (tsv=FILE, period_start
# last as in the table), so that the
# benchmark moves exactly the same values both ways.
# Input: "district_code|town_code" lines (from pingan.town). Variables: days,
# year. Deterministic: the same arguments give the same files.
BEGIN { FS = "|"; srand(20240101) }
{ towns[$1] = towns[$1] " " $2; if (!($1 in seen)) { seen[$1] = 1; order[++nd] = $1 } }
END {
    split("ws_deaths fire_incidents fire_deaths major_accidents major_negative_events criminal_cases_8 yibiaotong_online", counts, " ")
    split("task_completion event_closure", ratios, " ")
    print "district,period,town,indicator,count,numerator,denominator" > csv
    pk = 0
    split("31 28 31 30 31 30 31 31 30 31 30 31", mdays, " ")
    if ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0) mdays[2] = 29
    ylen = 337 + mdays[2]
    if (days > ylen) days = ylen
    for (d = 0; d < days; d++) {
        # Civil date of day d of the year.
        m = 1; dd = d + 1
        while (dd > mdays[m]) { dd -= mdays[m]; m++ }
        date = sprintf("%04d-%02d-%02d", year, m, dd)
        for (i = 1; i <= nd; i++) {
            dist = order[i]; pk++
            n = split(substr(towns[dist], 2), t, " ")
            for (k = 1; k <= n; k++) {
                for (c = 1; c <= 7; c++) {
                    v = (c == 7) ? 1 : (rand() < 0.03 ? 1 : 0)
                    printf "%s,%s,%s,%s,%d,,\n", dist, date, t[k], counts[c], v > csv
                    printf "%d\t%s\t%s\t%d\t\\N\t\\N\t%s\n", pk, counts[c], t[k], v, date > tsv
                }
                for (r = 1; r <= 2; r++) {
                    den = 20 + int(rand() * 30); num = den - int(rand() * 2)
                    printf "%s,%s,%s,%s,,%d,%d\n", dist, date, t[k], ratios[r], num, den > csv
                    printf "%d\t%s\t%s\t\\N\t%d\t%d\t%s\n", pk, ratios[r], t[k], num, den, date > tsv
                }
            }
        }
    }
}
