#!/usr/bin/env python3
"""gen_examples.py - writes the example report files in this directory.

The output is committed (CI has no Python); rerun this after changing it:

    python3 examples/gen_examples.py

Values come from a hash of (district, month, town, indicator), not from a
random generator, so every run writes byte-identical files and a change to one
district leaves the others alone. Town codes are synthetic: district code plus
a 3-digit sequence; 500101..500105 have towns 001..028, all others 001..027.
"""

import hashlib
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))

DISTRICTS = {
    "500101": ("Wanzhou", 1.3),
    "500103": ("Yuzhong", 1.5),
    "500105": ("Jiangbei", 1.3),
    "500106": ("Shapingba", 1.3),
    "500112": ("Yubei", 1.6),
    "500229": ("Chengkou", 0.4),
    "500240": ("Shizhu", 0.6),
}  # name, rough size factor (population, business and case volume)

TOWN_INDICATORS = [
    "ws_deaths",
    "fire_incidents",
    "fire_deaths",
    "task_completion",
    "event_closure",
    "business_digitised",
    "yibiaotong_online",
]
DISTRICT_INDICATORS = [
    "major_accidents",
    "vuln_rectified",
    "opinion_risk_assessed",
    "major_negative_events",
    "criminal_cases_8",
]


def towns(district):
    n = 28 if "500101" <= district <= "500105" else 27
    return ["%s%03d" % (district, i) for i in range(1, n + 1)]


def unit(*key):
    """A stable number in [0, 1) for the key."""
    digest = hashlib.sha256("|".join(key).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def pick(u, weights):
    """Index chosen by u from cumulative weights."""
    total = 0.0
    for i, w in enumerate(weights):
        total += w
        if u < total:
            return i
    return len(weights) - 1


def value(district, month, town, indicator):
    """(count, numerator, denominator); unused entries are None."""
    size = DISTRICTS[district][1]
    u = unit(district, month, town, indicator)
    v = unit(district, month, town, indicator, "second")
    baseline = month.startswith("2023")
    if indicator == "ws_deaths":
        return (1 if u < 0.04 else 0, None, None)
    if indicator == "fire_incidents":
        n = pick(u, [0.45, 0.30, 0.15, 0.07, 0.03])
        return (n + (1 if size >= 1.3 and v < 0.3 else 0), None, None)
    if indicator == "fire_deaths":
        # a fire death needs a fire in the same town and month
        fires = value(district, month, town, "fire_incidents")[0]
        return (1 if fires and u < 0.03 else 0, None, None)
    if indicator == "task_completion":
        den = 20 + int(v * 40)
        return (None, den - pick(u, [0.55, 0.25, 0.12, 0.08]), den)
    if indicator == "event_closure":
        den = int((80 + v * 220) * size)
        return (None, min(den, math.ceil(den * (0.90 + 0.10 * u))), den)
    if indicator == "business_digitised":
        den = int((150 + v * 750) * size)
        share = (0.35 + 0.40 * u) if baseline else (0.55 + 0.40 * u)
        return (None, round(den * share), den)
    if indicator == "yibiaotong_online":
        return (0 if u < (0.25 if baseline else 0.07) else 1, None, None)
    if indicator == "major_accidents":
        return (0, None, None)
    if indicator == "vuln_rectified":
        den = int((40 + v * 110) * size)
        return (None, den - pick(u, [0.40, 0.25, 0.15, 0.10, 0.05, 0.03, 0.02]), den)
    if indicator == "opinion_risk_assessed":
        den = int((8 + v * 22) * size)
        return (None, den - pick(u, [0.75, 0.20, 0.05]), den)
    if indicator == "major_negative_events":
        return (1 if u < 0.10 else 0, None, None)
    if indicator == "criminal_cases_8":
        return (int((3 + u * 25) * size), None, None)
    raise ValueError(indicator)


def rows(district, month):
    """(town, indicator, count, numerator, denominator), towns first."""
    for town in towns(district):
        for ind in TOWN_INDICATORS:
            yield (town, ind) + value(district, month, town, ind)
    for ind in DISTRICT_INDICATORS:
        yield ("", ind) + value(district, month, "", ind)


def cell(x):
    return "" if x is None else str(x)


def write_csv(path, month, districts, by_type):
    with open(path, "w", newline="") as f:
        if by_type:
            f.write("district,period_type,period_start,revision,town,indicator,"
                    "count,numerator,denominator\n")
        else:
            f.write("district,period,revision,town,indicator,count,numerator,denominator\n")
        for d in districts:
            for town, ind, c, n, den in rows(d, month):
                period = "month,%s-01" % month if by_type else month
                f.write(",".join([d, period, "1", town, ind, cell(c), cell(n), cell(den)]) + "\n")


def write_json(path, month, districts):
    with open(path, "w") as f:
        f.write('{"reports": [\n')
        for i, d in enumerate(districts):
            f.write('  {"district": "%s", "period": "%s", "revision": 1,\n' % (d, month))
            f.write('   "values": [\n')
            items = []
            for town, ind, c, n, den in rows(d, month):
                obj = {"indicator": ind}
                if town:
                    obj["town"] = town
                if c is not None:
                    obj["count"] = c
                else:
                    obj["numerator"] = n
                    obj["denominator"] = den
                items.append("     " + json.dumps(obj))
            f.write(",\n".join(items) + "\n")
            f.write("   ]}%s\n" % ("," if i + 1 < len(districts) else ""))
        f.write("]}\n")


def main():
    csv_districts = ["500101", "500103", "500112", "500229"]
    write_csv(os.path.join(HERE, "2024-03.csv"), "2024-03", csv_districts, by_type=False)
    write_csv(os.path.join(HERE, "2023-03.csv"), "2023-03", csv_districts, by_type=True)
    write_json(os.path.join(HERE, "2024-03.json"), "2024-03", ["500105", "500106", "500240"])


if __name__ == "__main__":
    main()
