/* test_allow.c - the allow-list format, key files and the secure-by-default
 * start rule, without sockets or a database. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pa_allow.h"
#include "pa_keys.h"
#include "pa_net.h"
#include "pa_worker.h"

#define KEY_A "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
#define KEY_B "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"

static pa_allow_t *s_parse(const char *text)
{
    pa_allow_t *a = NULL;
    pa_err_t err;
    cr_assert_eq(pa_allow_parse(text, strlen(text), "list", &a, &err), PA_OK, "%s", err.msg);
    return a;
}

static void s_refused(const char *text, const char *needle)
{
    pa_allow_t *a = NULL;
    pa_err_t err;
    cr_assert_eq(pa_allow_parse(text, strlen(text), "list", &a, &err), PA_EINVAL, "%s", text);
    cr_assert_null(a);
    cr_assert(strstr(err.msg, needle), "'%s' lacks '%s'", err.msg, needle);
}

Test(allow, entries_comments_and_lookup)
{
    pa_allow_t *a = s_parse("# offices\n"
                            "\n" KEY_A " wanzhou 500101   # trailing comment\n"
                            "  " KEY_B "\tcity 500101,500102,500103\n"
                            "#\n");
    cr_assert_eq(pa_allow_count(a), 2);
    const pa_allow_entry_t *e = pa_allow_find(a, KEY_A);
    cr_assert_str_eq(e->name, "wanzhou");
    cr_assert(pa_allow_permits(e, "500101"));
    cr_assert_not(pa_allow_permits(e, "500102"));
    e = pa_allow_find(a, KEY_B);
    cr_assert(pa_allow_permits(e, "500103"));
    cr_assert_not(pa_allow_permits(e, "500104"));
    cr_assert_null(pa_allow_find(a, "x"));
    cr_assert_not(pa_allow_permits(NULL, "500101"));
    pa_allow_destroy(&a);
    pa_allow_destroy(&a); /* NULL-safe */
}

Test(allow, star_is_every_district_and_a_hash_line_is_a_comment)
{
    /* A key may hold '#', never start with it: its first group overflows. */
    const char *key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]y#7";
    char text[256];
    snprintf(text, sizeof text, "#%s hq 500101\n%s hq *\n", KEY_A, key);
    pa_allow_t *a = s_parse(text);
    cr_assert_eq(pa_allow_count(a), 1);
    cr_assert(pa_allow_permits(pa_allow_find(a, key), "500242"));
    pa_allow_destroy(&a);
}

Test(allow, malformed_lines_are_named)
{
    s_refused(KEY_A " wanzhou\n", "list:1: expected");
    s_refused("# ok\nnot-a-key wanzhou 500101\n", "list:2: 'not-a-key' is not a 40-character");
    s_refused(KEY_A " wan/zhou 500101\n", "name 'wan/zhou'");
    s_refused(KEY_A " wanzhou 50010\n", "'50010' is not a 6-digit");
    s_refused(KEY_A " wanzhou 500101,,\n", "an empty district");
    s_refused(KEY_A " wanzhou ,500101\n", "an empty district");
    s_refused(KEY_A " wanzhou 500101 extra\n", "more than 3 fields");
    s_refused(KEY_A " a 500101\n" KEY_A " b 500102\n", "list:2: key already listed for 'a'");
}

Test(allow, check_refuses_other_districts_and_unknown_keys)
{
    pa_allow_t *a = s_parse(KEY_A " wanzhou 500101\n");
    pa_submission_t *sub = calloc(1, sizeof *sub);
    sub->n_items = 2;
    sub->items = calloc(2, sizeof *sub->items);
    for (int i = 0; i < 2; i++) {
        sub->items[i].report = pa_report_new();
        snprintf(sub->items[i].report->district, PA_DISTRICT_SIZE, "%s", i ? "500102" : "500101");
    }
    cr_assert_eq(pa_allow_check(a, KEY_A, sub), 1);
    cr_assert_eq(sub->items[0].problems.n, 0);
    cr_assert_eq(sub->items[1].problems.items[0].reason, PA_REASON_UNAUTHORIZED_DISTRICT);
    cr_assert_str_eq(sub->items[1].problems.items[0].field, "district");
    cr_assert_str_eq(pa_reason_name(PA_REASON_UNAUTHORIZED_DISTRICT), "unauthorized_district");
    /* A key not (or no longer) listed writes nothing. */
    cr_assert_eq(pa_allow_check(a, KEY_B, sub), 2);
    cr_assert(strstr(sub->items[0].problems.items[0].message, "no longer"));
    cr_assert_eq(pa_allow_check(a, "", sub), 2);
    pa_submission_destroy(&sub);
    pa_allow_destroy(&a);
}

Test(keys, a_written_pair_reads_back_and_is_never_overwritten)
{
    char dir[] = "/tmp/pingan-keys-XXXXXX", sec[128], pub[128];
    cr_assert(mkdtemp(dir));
    snprintf(sec, sizeof sec, "%s/a.secret", dir);
    snprintf(pub, sizeof pub, "%s/a.public", dir);
    char written[PA_KEY_Z85_SIZE], secret[PA_KEY_Z85_SIZE], derived[PA_KEY_Z85_SIZE],
        read[PA_KEY_Z85_SIZE];
    pa_err_t err;
    cr_assert_eq(pa_keys_write_pair(sec, pub, "a", written, &err), PA_OK, "%s", err.msg);
    struct stat st;
    cr_assert_eq(stat(sec, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(pa_keys_read_secret(sec, secret, derived, &err), PA_OK, "%s", err.msg);
    cr_assert_str_eq(derived, written);
    cr_assert_eq(pa_keys_read_public(pub, read, &err), PA_OK, "%s", err.msg);
    cr_assert_str_eq(read, written);
    cr_assert_eq(pa_keys_write_pair(sec, pub, "a", written, &err), PA_EINVAL);
    cr_assert(strstr(err.msg, "never overwritten"), "%s", err.msg);
    /* Errors name the file. */
    FILE *f = fopen(pub, "w");
    fputs("# comment\nshort\n", f);
    fclose(f);
    cr_assert_eq(pa_keys_read_public(pub, read, &err), PA_EINVAL);
    cr_assert(strstr(err.msg, pub) && strstr(err.msg, ":2: not a 40-character"), "%s", err.msg);
    cr_assert_eq(pa_keys_read_public("/nonexistent/k", read, &err), PA_EIO);
    cr_assert(strstr(err.msg, "/nonexistent/k"), "%s", err.msg);
    unlink(sec);
    unlink(pub);
    rmdir(dir);
}

Test(net, which_endpoints_are_local)
{
    cr_assert(pa_net_endpoints_local("tcp://127.0.0.1:5555"));
    cr_assert(pa_net_endpoints_local("tcp://127.10.0.1:5555,ipc:///tmp/x,inproc://y"));
    cr_assert(pa_net_endpoints_local("tcp://localhost:1"));
    cr_assert(pa_net_endpoints_local("tcp://[::1]:1"));
    cr_assert(pa_net_endpoints_local("tcp://lo:1"));
    cr_assert_not(pa_net_endpoints_local("tcp://*:5555"));
    cr_assert_not(pa_net_endpoints_local("tcp://0.0.0.0:5555"));
    cr_assert_not(pa_net_endpoints_local("tcp://127.0.0.1:1,tcp://10.0.0.2:1"));
    cr_assert_not(pa_net_endpoints_local("tcp://127.0.0.1.example.com:1"));
    cr_assert_not(pa_net_endpoints_local("tcp://eth0:1"));
    cr_assert_not(pa_net_endpoints_local(""));
}

Test(net, a_worker_reachable_from_elsewhere_needs_keys)
{
    pa_worker_config_t cfg = {.bind = "tcp://*:5555", .secret_key = "", .allow_list = ""};
    pa_err_t err;
    cr_assert_eq(pa_worker_config_security(&cfg, &err), PA_EINVAL);
    cr_assert(strstr(err.msg, "--insecure"), "%s", err.msg);
    cfg.insecure = true;
    cr_assert_eq(pa_worker_config_security(&cfg, &err), PA_OK);
    cfg.insecure = false;
    cfg.secret_key = "w.secret";
    cr_assert_eq(pa_worker_config_security(&cfg, &err), PA_EINVAL);
    cr_assert(strstr(err.msg, "go together"), "%s", err.msg);
    cfg.allow_list = "allow";
    cr_assert_eq(pa_worker_config_security(&cfg, &err), PA_OK);
    cfg = (pa_worker_config_t){.bind = "tcp://127.0.0.1:5555", .secret_key = "", .allow_list = ""};
    cr_assert_eq(pa_worker_config_security(&cfg, &err), PA_OK);
}
