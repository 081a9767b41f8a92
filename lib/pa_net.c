/* pa_net.c - CURVE socket options and the worker's ZAP handler (see
 * pa_net.h). The handler thread owns its REP socket; the allow-list it
 * answers from is shared with the worker's loop under a mutex, swapped
 * whole on reload. */
#include "pa_net.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa_allow.h"
#include "pa_clock.h"
#include "pa_keys.h"

#define PA_ZAP_ENDPOINT     "inproc://zeromq.zap.01" /* fixed by RFC 27 */
#define PA_ZAP_DOMAIN       "pingan"
#define PA_ZAP_POLL_MS      200  /* bounds how late a stop or a reload is seen */
#define PA_ZAP_LOG_EVERY_MS 1000 /* a refused peer retries every 100 ms: one line a second */
#define PA_ZAP_FRAMES       8    /* a CURVE request has 7 frames */

/* ------------------------------------------------------------ endpoints */

static bool s_local_endpoint(const char *ep, size_t len)
{
    if ((len >= 6 && strncmp(ep, "ipc://", 6) == 0) ||
        (len >= 9 && strncmp(ep, "inproc://", 9) == 0))
        return true;
    if (len < 6 || strncmp(ep, "tcp://", 6) != 0)
        return false;
    const char *host = ep + 6;
    size_t hlen = len - 6;
    /* The host ends at the last ':' (the port); [::1] keeps its brackets. */
    while (hlen && host[hlen - 1] != ':')
        hlen--;
    if (hlen)
        hlen--;
    static const char *const names[] = {"localhost", "lo", "[::1]", "::1"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (hlen == strlen(names[i]) && strncmp(host, names[i], hlen) == 0)
            return true;
    if (hlen < 9 || strncmp(host, "127.", 4) != 0)
        return false;
    return strspn(host, "0123456789.") == hlen;
}

bool pa_net_endpoints_local(const char *list)
{
    if (!list || !*list)
        return false;
    for (const char *p = list;;) {
        size_t len = strcspn(p, ",");
        if (!s_local_endpoint(p, len))
            return false;
        if (!p[len])
            return true;
        p += len + 1;
    }
}

/* ------------------------------------------------------------ CURVE */

int pa_net_curve_server(void *sock, const char *secret_path, pa_err_t *err)
{
    char secret[PA_KEY_Z85_SIZE], public_z85[PA_KEY_Z85_SIZE];
    int one = 1;
    int rc = pa_keys_read_secret(secret_path, secret, public_z85, err);
    if (rc == PA_OK &&
        (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
         zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret, PA_KEY_Z85_LEN) != 0 ||
         zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, PA_ZAP_DOMAIN, strlen(PA_ZAP_DOMAIN)) != 0))
        rc = pa_err_set(err, PA_EIO, "CURVE server options: %s", zmq_strerror(zmq_errno()));
    memset(secret, 0, sizeof secret);
    return rc;
}

int pa_net_curve_client(void *sock, const char *key_path, const char *server_key_path,
                        pa_err_t *err)
{
    char secret[PA_KEY_Z85_SIZE], public_z85[PA_KEY_Z85_SIZE], server[PA_KEY_Z85_SIZE];
    int rc = pa_keys_read_secret(key_path, secret, public_z85, err);
    if (rc == PA_OK)
        rc = pa_keys_read_public(server_key_path, server, err);
    if (rc == PA_OK &&
        (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server, PA_KEY_Z85_LEN) != 0 ||
         zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, public_z85, PA_KEY_Z85_LEN) != 0 ||
         zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret, PA_KEY_Z85_LEN) != 0))
        rc = pa_err_set(err, PA_EIO, "CURVE client options: %s", zmq_strerror(zmq_errno()));
    memset(secret, 0, sizeof secret);
    return rc;
}

const char *pa_net_user_id(zmq_msg_t *frame)
{
    const char *id = zmq_msg_gets(frame, "User-Id");
    return id ? id : "";
}

/* ------------------------------------------------------------ watch */

#define PA_WATCH_EVENTS                                                                            \
    (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |                             \
     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |                  \
     ZMQ_EVENT_DISCONNECTED)

struct pa_net_watch {
    void *watched;     /* the client socket (borrowed) */
    void *pair;        /* receives its events */
    bool curve;        /* the watched socket is a CURVE client */
    uint32_t zap_code; /* ZAP status of a refusal since the last success, 0 = none */
    bool mismatch;     /* a mechanism mismatch since the last success */
    bool failed;       /* any handshake failure since the last success */
    bool disconnected; /* a connection closed... */
    bool succeeded;    /* ... and whether any handshake ever succeeded */
    int n_succeeded;   /* handshakes that succeeded */
};

pa_net_watch_t *pa_net_watch_new(void *ctx, void *sock, bool curve)
{
    char ep[64];
    int zero = 0;
    pa_net_watch_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->watched = sock;
    self->curve = curve;
    snprintf(ep, sizeof ep, "inproc://pa-net-watch-%p", (void *)self);
    if (zmq_socket_monitor(sock, ep, PA_WATCH_EVENTS) != 0) {
        free(self);
        return NULL;
    }
    self->pair = zmq_socket(ctx, ZMQ_PAIR);
    if (!self->pair || zmq_setsockopt(self->pair, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_connect(self->pair, ep) != 0) {
        pa_net_watch_destroy(&self);
        return NULL;
    }
    return self;
}

void pa_net_watch_destroy(pa_net_watch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_net_watch_t *self = *self_p;
    zmq_socket_monitor(self->watched, NULL, 0);
    if (self->pair)
        zmq_close(self->pair);
    free(self);
    *self_p = NULL;
}

/* Reads one event within timeout_ms (0: only one already there) into the
 * watch's state; false when none came. */
static bool s_watch_event(pa_net_watch_t *self, long timeout_ms)
{
    zmq_pollitem_t item = {self->pair, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, timeout_ms) <= 0)
        return false;
    /* An event is two frames: 6 bytes (event, value), then the address. */
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, self->pair, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&msg);
        return false;
    }
    uint16_t event = 0;
    uint32_t value = 0;
    if (zmq_msg_size(&msg) >= 6) {
        memcpy(&event, zmq_msg_data(&msg), sizeof event);
        memcpy(&value, (const char *)zmq_msg_data(&msg) + 2, sizeof value);
    }
    bool more = zmq_msg_more(&msg);
    zmq_msg_close(&msg);
    while (more) {
        zmq_msg_init(&msg);
        more = zmq_msg_recv(&msg, self->pair, 0) >= 0 && zmq_msg_more(&msg);
        zmq_msg_close(&msg);
    }
    if (event == ZMQ_EVENT_DISCONNECTED) {
        self->disconnected = true;
    } else if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        self->succeeded = true;
        self->n_succeeded++;
        self->zap_code = 0;
        self->mismatch = self->failed = false;
    } else {
        /* The telling events stick: a refused peer's later attempts may
         * end with a bare EPIPE (the worker closed first). */
        self->failed = true;
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            self->zap_code = value;
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
            value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
            self->mismatch = true;
    }
    return true;
}

void pa_net_watch_handshakes(pa_net_watch_t *self, int n, int wait_ms)
{
    int64_t deadline = pa_clock_mono_ms() + wait_ms;
    while (self && self->n_succeeded < n) {
        int64_t left = deadline - pa_clock_mono_ms();
        if (left <= 0 || !s_watch_event(self, (long)left))
            return;
    }
}

void pa_net_watch_why(pa_net_watch_t *self, char *why, size_t size)
{
    why[0] = '\0';
    if (!self)
        return;
    while (s_watch_event(self, 0))
        ;
    if (self->zap_code)
        snprintf(why, size,
                 "the worker refused this producer's key (ZAP status %u): is its public key on "
                 "the worker's allow-list?",
                 (unsigned)self->zap_code);
    else if (self->mismatch)
        snprintf(why, size,
                 "the worker speaks another security mechanism: give both or neither of --key "
                 "and --server-key, as the worker has --secret-key or not");
    else if (!self->failed && !(self->disconnected && !self->succeeded))
        return;
    else if (self->curve)
        /* libzmq 4.3 closes a refused CURVE client before the ERROR command
         * reaches it: a key not on the allow-list and a wrong server key
         * look the same from here (the worker's log tells them apart). */
        snprintf(why, size,
                 "the worker ended every CURVE handshake: is this producer's public key on its "
                 "allow-list, and --server-key the worker's public key?");
    else
        snprintf(why, size,
                 "the worker ended every handshake: does it want CURVE keys (--key and "
                 "--server-key)?");
}

/* ------------------------------------------------------------ ZAP */

struct pa_zap {
    void *sock; /* REP on PA_ZAP_ENDPOINT; the thread's once started */
    const char *path;
    const volatile sig_atomic_t *reload;
    sig_atomic_t reload_seen;
    const pa_log_t *log;
    pthread_mutex_t lock; /* guards allow and stats */
    pa_allow_t *allow;
    pa_zap_stats_t stats;
    pthread_t thread;
    bool started;
    atomic_bool stop;
    int64_t last_refusal_log_ms; /* thread only */
    uint64_t refused_unlogged;   /* thread only */
};

static void s_reload(pa_zap_t *self)
{
    pa_allow_t *fresh = NULL;
    pa_err_t err;
    if (pa_allow_load(self->path, &fresh, &err) != PA_OK) {
        pa_log_error(self->log, "allow_list=%s error=%s could not reload: keeping the old list: %s",
                     self->path, pa_err_name(err.code), err.msg);
        return;
    }
    pthread_mutex_lock(&self->lock);
    pa_allow_t *old = self->allow;
    self->allow = fresh;
    self->stats.reloads++;
    pthread_mutex_unlock(&self->lock);
    pa_allow_destroy(&old);
    pa_log_info(self->log, "allow_list=%s keys=%zu allow-list reloaded", self->path,
                pa_allow_count(fresh));
}

static void s_frame_text(zmq_msg_t *m, char *buf, size_t size)
{
    size_t n = zmq_msg_size(m) < size - 1 ? zmq_msg_size(m) : size - 1;
    memcpy(buf, zmq_msg_data(m), n);
    buf[n] = '\0';
}

/* Decides one request: *user_id (the key) on 200, why on 400. */
static bool s_admit(pa_zap_t *self, zmq_msg_t *f, size_t n, char key[PA_KEY_Z85_SIZE],
                    char name[PA_ALLOW_NAME_SIZE], const char **why)
{
    char text[16];
    key[0] = '\0';
    name[0] = '\0';
    if (n < 6) {
        *why = "malformed ZAP request";
        return false;
    }
    s_frame_text(&f[0], text, sizeof text);
    if (strcmp(text, "1.0") != 0) {
        *why = "unsupported ZAP version";
        return false;
    }
    s_frame_text(&f[5], text, sizeof text);
    if (strcmp(text, "CURVE") != 0 || n != 7 || zmq_msg_size(&f[6]) != 32) {
        *why = "not a CURVE handshake";
        return false;
    }
    zmq_z85_encode(key, zmq_msg_data(&f[6]), 32);
    pthread_mutex_lock(&self->lock);
    const pa_allow_entry_t *e = pa_allow_find(self->allow, key);
    if (e)
        snprintf(name, PA_ALLOW_NAME_SIZE, "%s", e->name);
    if (e)
        self->stats.admitted++;
    else
        self->stats.refused++;
    pthread_mutex_unlock(&self->lock);
    *why = e ? "OK" : "key not on the allow-list";
    return e != NULL;
}

static void s_send_text(void *sock, const char *text, size_t len, bool more)
{
    /* A failed reply only fails that handshake; libzmq times it out. */
    (void)zmq_send(sock, text, len, more ? ZMQ_SNDMORE : 0);
}

static void s_answer(pa_zap_t *self)
{
    zmq_msg_t f[PA_ZAP_FRAMES];
    size_t n = 0;
    bool more = true;
    while (more) {
        zmq_msg_t scratch, *m = n < PA_ZAP_FRAMES ? &f[n] : &scratch;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, self->sock, 0) < 0) {
            zmq_msg_close(m);
            break;
        }
        more = zmq_msg_more(m);
        if (n < PA_ZAP_FRAMES)
            n++;
        else
            zmq_msg_close(m);
    }
    if (n == 0)
        return; /* nothing received: nothing to answer */
    char key[PA_KEY_Z85_SIZE], name[PA_ALLOW_NAME_SIZE], address[64] = "";
    const char *why = NULL;
    bool ok = s_admit(self, f, n, key, name, &why);
    if (n > 3)
        s_frame_text(&f[3], address, sizeof address);
    s_send_text(self->sock, "1.0", 3, true);
    /* REP must answer every request, even one too short to carry an id. */
    (void)zmq_send(self->sock, n > 1 ? zmq_msg_data(&f[1]) : "", n > 1 ? zmq_msg_size(&f[1]) : 0,
                   ZMQ_SNDMORE);
    s_send_text(self->sock, ok ? "200" : "400", 3, true);
    s_send_text(self->sock, why, strlen(why), true);
    s_send_text(self->sock, ok ? key : "", ok ? strlen(key) : 0, true);
    s_send_text(self->sock, "", 0, false);
    for (size_t i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
    if (ok) {
        pa_log_info(self->log, "key=%s name=%s address=%s connection admitted", key, name, address);
        return;
    }
    self->refused_unlogged++;
    int64_t now = pa_clock_mono_ms();
    if (now - self->last_refusal_log_ms >= PA_ZAP_LOG_EVERY_MS) {
        pa_log_warn(self->log, "key=%s address=%s refused=%llu connection refused: %s",
                    key[0] ? key : "-", address, (unsigned long long)self->refused_unlogged, why);
        self->last_refusal_log_ms = now;
        self->refused_unlogged = 0;
    }
}

static void *s_run(void *arg)
{
    pa_zap_t *self = arg;
    while (!atomic_load(&self->stop)) {
        /* The counter is a word the signal handler bumps: at worst this
         * read sees a reload one poll late. */
        if (self->reload && *self->reload != self->reload_seen) {
            self->reload_seen = *self->reload;
            s_reload(self);
        }
        zmq_pollitem_t item = {self->sock, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&item, 1, PA_ZAP_POLL_MS);
        if (n < 0 && zmq_errno() == ETERM)
            break;
        if (n > 0)
            s_answer(self);
    }
    return NULL;
}

pa_zap_t *pa_zap_new(void *ctx, const char *allow_path, const volatile sig_atomic_t *reload,
                     const pa_log_t *log, pa_err_t *err)
{
    pa_zap_t *self = calloc(1, sizeof *self);
    if (!self) {
        pa_err_set(err, PA_ENOMEM, "out of memory");
        return NULL;
    }
    self->path = allow_path;
    self->reload = reload;
    self->reload_seen = reload ? *reload : 0;
    self->log = log;
    self->last_refusal_log_ms = INT64_MIN / 2;
    atomic_init(&self->stop, false);
    pthread_mutex_init(&self->lock, NULL);
    if (pa_allow_load(allow_path, &self->allow, err) != PA_OK)
        goto fail;
    int zero = 0;
    self->sock = zmq_socket(ctx, ZMQ_REP);
    if (!self->sock || zmq_setsockopt(self->sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_bind(self->sock, PA_ZAP_ENDPOINT) != 0) {
        pa_err_set(err, PA_EIO, "ZAP handler on %s: %s", PA_ZAP_ENDPOINT,
                   zmq_strerror(zmq_errno()));
        goto fail;
    }
    /* Signals (SIGHUP, SIGTERM) are the program's: the thread blocks them
     * all, so none interrupts a ZAP exchange half-way. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int started = pthread_create(&self->thread, NULL, s_run, self);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started != 0) {
        pa_err_set(err, PA_EIO, "could not start the ZAP thread");
        goto fail;
    }
    self->started = true;
    return self;
fail:
    pa_zap_destroy(&self);
    return NULL;
}

void pa_zap_destroy(pa_zap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pa_zap_t *self = *self_p;
    if (self->started) {
        atomic_store(&self->stop, true);
        pthread_join(self->thread, NULL);
    }
    if (self->sock)
        zmq_close(self->sock);
    pa_allow_destroy(&self->allow);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

void pa_zap_authorise(pa_zap_t *self, const char *user_id, pa_submission_t *sub)
{
    pthread_mutex_lock(&self->lock);
    self->stats.unauthorized += pa_allow_check(self->allow, user_id, sub);
    pthread_mutex_unlock(&self->lock);
}

bool pa_zap_may_write(pa_zap_t *self, const char *user_id, const char *district)
{
    pthread_mutex_lock(&self->lock);
    bool ok = pa_allow_permits(pa_allow_find(self->allow, user_id), district);
    pthread_mutex_unlock(&self->lock);
    return ok;
}

void pa_zap_stats(pa_zap_t *self, pa_zap_stats_t *out)
{
    pthread_mutex_lock(&self->lock);
    *out = self->stats;
    pthread_mutex_unlock(&self->lock);
}
