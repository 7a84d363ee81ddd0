/*
 * estload: a small multi-threaded HTTPS load client for the estfcgi benchmark.
 *
 * Acts as many devices (--mode newconn: a new TCP connection and a full TLS 1.3
 * handshake with the client certificate for every request) or as a gateway
 * (--mode keepalive: one TLS connection per thread, reused until the server
 * closes it). With --csr every request POSTs a CSR of its own, made before the
 * timed part: a fresh P-256 key and PKCS#10 request, body = base64 of the DER.
 *
 * Output: one line of key=value pairs on stdout. Exit status 0 when every
 * request got the --expect status, 1 when some did not, 2 on bad usage/setup.
 *
 * Build: ${CC:-cc} -Wall -O2 -o estload estload.c -lssl -lcrypto -lpthread
 * Loopback only: the host is always 127.0.0.1; the server is not verified.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define POOL_CAP 200000
#define MAX_STATUS 600

enum mode { NEWCONN, KEEPALIVE };

static struct {
    int port;
    const char *path;
    const char *method;
    const char *cert, *key;
    int clients;
    long requests;   /* 0: unbounded (then --seconds bounds the run) */
    double seconds;  /* 0: unbounded (then --requests bounds the run) */
    enum mode mode;
    int csr;
    long pool;       /* distinct CSRs; 0: as many as --requests, at most POOL_CAP */
    int expect;
    int timeout;     /* seconds a connect, read or write may block */
} opt = { 0, "/", "GET", NULL, NULL, 1, 0, 0, NEWCONN, 0, 0, 200, 30 };

/* The CSR pool: bodies[i] is base64(DER) of a distinct CSR. */
static char **bodies;
static size_t *body_lens;
static long pool_size;

static SSL_CTX *ctx;
static atomic_long next_request;
static atomic_int stop_flag;
static double t_start, t_deadline;
static char host_header[64];

struct worker {
    pthread_t tid;
    int index;
    /* results */
    long done, ok, errors, connects;
    long status[MAX_STATUS + 1]; /* [0] = I/O error or unparsable answer */
    double *lat_ms;
    long lat_n, lat_cap;
    /* connection */
    int fd;
    SSL *ssl;
    long used; /* requests on this connection */
    /* write and read buffers */
    char out[4096];
    char buf[16384];
    size_t rpos, rlen;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "estload: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(2);
}

/* ---------- CSR pool ---------- */

static char *make_csr_body(size_t *len)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509_REQ *req = X509_REQ_new();
    X509_NAME *name = X509_NAME_new();
    unsigned char rnd[8];
    char cn[32];
    unsigned char *der = NULL;
    int der_len;
    char *b64;

    if (!pkey || !req || !name || RAND_bytes(rnd, sizeof rnd) != 1)
        die("cannot make a key");
    snprintf(cn, sizeof cn, "bench-%02x%02x%02x%02x%02x%02x%02x%02x",
             rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (unsigned char *)cn, -1, -1, 0)
        || !X509_REQ_set_version(req, 0) || !X509_REQ_set_subject_name(req, name)
        || !X509_REQ_set_pubkey(req, pkey) || !X509_REQ_sign(req, pkey, EVP_sha256()))
        die("cannot make a CSR");
    der_len = i2d_X509_REQ(req, &der);
    if (der_len <= 0)
        die("cannot encode a CSR");
    b64 = malloc(4 * ((der_len + 2) / 3) + 1);
    if (!b64)
        die("out of memory");
    *len = (size_t)EVP_EncodeBlock((unsigned char *)b64, der, der_len);
    OPENSSL_free(der);
    X509_NAME_free(name);
    X509_REQ_free(req);
    EVP_PKEY_free(pkey);
    return b64;
}

static atomic_long pool_next;

static void *pool_thread(void *arg)
{
    (void)arg;
    for (;;) {
        long i = atomic_fetch_add(&pool_next, 1);
        if (i >= pool_size)
            return NULL;
        bodies[i] = make_csr_body(&body_lens[i]);
    }
}

static void make_pool(long n)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int nthreads = ncpu > 0 ? (int)ncpu : 1;
    pthread_t t[64];
    if (nthreads > 64)
        nthreads = 64;
    pool_size = n;
    bodies = calloc((size_t)n, sizeof *bodies);
    body_lens = calloc((size_t)n, sizeof *body_lens);
    if (!bodies || !body_lens)
        die("out of memory");
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&t[i], NULL, pool_thread, NULL) != 0)
            die("pthread_create");
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
}

/* ---------- connections ---------- */

static void conn_close(struct worker *w)
{
    if (w->ssl) {
        SSL_shutdown(w->ssl); /* sends close_notify; does not wait for the peer's */
        SSL_free(w->ssl);
        w->ssl = NULL;
    }
    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    w->rpos = w->rlen = 0;
    w->used = 0;
}

static int conn_open(struct worker *w)
{
    struct sockaddr_in sa;
    struct timeval tv = { opt.timeout, 0 };
    int one = 1;

    w->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (w->fd < 0)
        return -1;
    setsockopt(w->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(w->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(w->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)opt.port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(w->fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        goto fail;
    w->ssl = SSL_new(ctx);
    if (!w->ssl || !SSL_set_fd(w->ssl, w->fd))
        goto fail;
    SSL_set_tlsext_host_name(w->ssl, "localhost");
    if (SSL_connect(w->ssl) != 1)
        goto fail;
    w->connects++;
    w->rpos = w->rlen = 0;
    w->used = 0;
    return 0;
fail:
    ERR_clear_error();
    conn_close(w);
    return -1;
}

static int write_all(struct worker *w, const char *p, size_t n)
{
    while (n > 0) {
        int r = SSL_write(w->ssl, p, n > 1 << 30 ? 1 << 30 : (int)n);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Fills the buffer; returns bytes read, 0 on EOF, -1 on error. */
static int fill(struct worker *w)
{
    int r;
    if (w->rpos > 0 && w->rpos == w->rlen)
        w->rpos = w->rlen = 0;
    if (w->rlen == sizeof w->buf) {
        if (w->rpos == 0)
            return -1; /* a header line longer than the buffer */
        memmove(w->buf, w->buf + w->rpos, w->rlen - w->rpos);
        w->rlen -= w->rpos;
        w->rpos = 0;
    }
    r = SSL_read(w->ssl, w->buf + w->rlen, (int)(sizeof w->buf - w->rlen));
    if (r > 0) {
        w->rlen += (size_t)r;
        return r;
    }
    r = SSL_get_error(w->ssl, r) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
    ERR_clear_error();
    return r;
}

/* One CRLF-terminated line into out (NUL-terminated, without CRLF). */
static int read_line(struct worker *w, char *out, size_t cap)
{
    for (;;) {
        char *start = w->buf + w->rpos;
        char *nl = memchr(start, '\n', w->rlen - w->rpos);
        if (nl) {
            size_t n = (size_t)(nl - start);
            if (n > 0 && start[n - 1] == '\r')
                n--;
            if (n >= cap)
                return -1;
            memcpy(out, start, n);
            out[n] = 0;
            w->rpos += (size_t)(nl - start) + 1;
            return 0;
        }
        if (fill(w) <= 0)
            return -1;
    }
}

/* Discards n body bytes. */
static int skip_body(struct worker *w, long n)
{
    while (n > 0) {
        size_t have = w->rlen - w->rpos;
        if (have == 0) {
            if (fill(w) <= 0)
                return -1;
            continue;
        }
        if ((long)have > n)
            have = (size_t)n;
        w->rpos += have;
        n -= (long)have;
    }
    return 0;
}

/*
 * Sends one request and reads the answer. Returns the HTTP status, or
 * 0 on an I/O error; *got_bytes says whether any answer byte arrived (a
 * kept-alive connection the server closed in between is retried).
 * *server_closes is set when the connection cannot be reused.
 */
static int exchange(struct worker *w, const char *body, size_t body_len, int *got_bytes, int *server_closes)
{
    char head[512], line[8192];
    int n, status = 0, chunked = 0;
    long content_length = -1;
    int minor = 1;

    *got_bytes = 0;
    *server_closes = 0;
    if (body)
        n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: estload\r\n"
                     "Content-Type: application/pkcs10\r\nContent-Length: %zu\r\n%s\r\n",
                     opt.method, opt.path, host_header, body_len,
                     opt.mode == NEWCONN ? "Connection: close\r\n" : "");
    else
        n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: estload\r\n%s%s\r\n",
                     opt.method, opt.path, host_header,
                     strcmp(opt.method, "POST") == 0 ? "Content-Length: 0\r\n" : "",
                     opt.mode == NEWCONN ? "Connection: close\r\n" : "");
    if (n <= 0 || (size_t)n >= sizeof head)
        return 0;
    /* head and body in one TLS record where they fit, as a client's single write */
    if (body && (size_t)n + body_len <= sizeof w->out) {
        memcpy(w->out, head, (size_t)n);
        memcpy(w->out + n, body, body_len);
        if (write_all(w, w->out, (size_t)n + body_len) != 0)
            return 0;
    } else if (write_all(w, head, (size_t)n) != 0 || (body && write_all(w, body, body_len) != 0))
        return 0;

    if (read_line(w, line, sizeof line) != 0)
        return 0;
    *got_bytes = 1;
    if (sscanf(line, "HTTP/1.%d %d", &minor, &status) != 2 || status < 100 || status > 599)
        return 0;
    if (minor == 0)
        *server_closes = 1;
    for (;;) {
        char *colon, *v;
        if (read_line(w, line, sizeof line) != 0)
            return 0;
        if (line[0] == 0)
            break;
        colon = strchr(line, ':');
        if (!colon)
            return 0;
        *colon = 0;
        v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (strcasecmp(line, "Content-Length") == 0)
            content_length = strtol(v, NULL, 10);
        else if (strcasecmp(line, "Transfer-Encoding") == 0 && strcasestr(v, "chunked"))
            chunked = 1;
        else if (strcasecmp(line, "Connection") == 0 && strcasestr(v, "close"))
            *server_closes = 1;
    }
    if (status < 200 || status == 204 || status == 304)
        return status; /* no body */
    if (chunked) {
        for (;;) {
            long size;
            if (read_line(w, line, sizeof line) != 0)
                return 0;
            size = strtol(line, NULL, 16);
            if (size < 0)
                return 0;
            if (size == 0) {
                do { /* trailers up to the empty line */
                    if (read_line(w, line, sizeof line) != 0)
                        return 0;
                } while (line[0] != 0);
                break;
            }
            if (skip_body(w, size) != 0 || read_line(w, line, sizeof line) != 0)
                return 0;
        }
    } else if (content_length >= 0) {
        if (skip_body(w, content_length) != 0)
            return 0;
    } else {
        /* no length: the body ends when the server closes */
        for (;;) {
            int r;
            w->rpos = w->rlen = 0;
            r = fill(w);
            if (r == 0)
                break;
            if (r < 0)
                return 0;
        }
        *server_closes = 1;
    }
    return status;
}

static void record(struct worker *w, int status, double ms)
{
    w->done++;
    w->status[status >= 0 && status <= MAX_STATUS ? status : 0]++;
    if (status == opt.expect)
        w->ok++;
    else
        w->errors++;
    if (w->lat_n == w->lat_cap) {
        w->lat_cap = w->lat_cap ? w->lat_cap * 2 : 4096;
        w->lat_ms = realloc(w->lat_ms, (size_t)w->lat_cap * sizeof *w->lat_ms);
        if (!w->lat_ms)
            die("out of memory");
    }
    w->lat_ms[w->lat_n++] = ms;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->fd = -1;
    for (;;) {
        long i;
        int status = 0, got, closes = 0, attempt;
        const char *body = NULL;
        size_t body_len = 0;
        double t0;

        if (atomic_load(&stop_flag))
            break;
        if (opt.seconds > 0 && now_s() >= t_deadline)
            break;
        i = atomic_fetch_add(&next_request, 1);
        if (opt.requests > 0 && i >= opt.requests)
            break;
        if (opt.csr) {
            body = bodies[i % pool_size];
            body_len = body_lens[i % pool_size];
        }
        t0 = now_s();
        for (attempt = 0; attempt < 2; attempt++) {
            int reused;
            if (!w->ssl && conn_open(w) != 0) {
                status = 0;
                break;
            }
            reused = w->used > 0;
            status = exchange(w, body, body_len, &got, &closes);
            w->used++;
            if (status == 0) {
                conn_close(w);
                /* a kept-alive connection the server had closed: once more on a new one */
                if (reused && !got)
                    continue;
            }
            break;
        }
        if (status != 0 && (opt.mode == NEWCONN || closes))
            conn_close(w);
        record(w, status, (now_s() - t0) * 1000.0);
    }
    conn_close(w);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, long n, double p)
{
    long k;
    if (n == 0)
        return 0;
    k = (long)(p / 100.0 * (double)n + 0.999999) - 1; /* nearest rank */
    if (k < 0)
        k = 0;
    if (k >= n)
        k = n - 1;
    return sorted[k];
}

static void usage(void)
{
    fprintf(stderr,
            "usage: estload --port P [--path PATH] [--method GET|POST] [--cert PEM --key PEM]\n"
            "               [--clients N] [--requests N] [--seconds S] [--mode newconn|keepalive]\n"
            "               [--csr [--pool N]] [--expect STATUS] [--timeout S]\n"
            "Runs until --requests are done or --seconds have passed, whichever comes first,\n"
            "against https://127.0.0.1:P PATH, and prints one line of key=value results.\n"
            "--csr POSTs a distinct CSR per request from a pool made before the timed part\n"
            "(--pool N distinct CSRs, default --requests, at most 200000; reused in turn\n"
            "beyond that, which the output counts as csr_reused). --timeout S (default 30)\n"
            "bounds each connect, read and write; a request that hits it is an error.\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "port", required_argument, NULL, 'p' },   { "path", required_argument, NULL, 'u' },
        { "method", required_argument, NULL, 'm' }, { "cert", required_argument, NULL, 'c' },
        { "key", required_argument, NULL, 'k' },    { "clients", required_argument, NULL, 'n' },
        { "requests", required_argument, NULL, 'r' }, { "seconds", required_argument, NULL, 's' },
        { "mode", required_argument, NULL, 'M' },   { "csr", no_argument, NULL, 'C' },
        { "expect", required_argument, NULL, 'e' }, { "pool", required_argument, NULL, 'P' },
        { "timeout", required_argument, NULL, 'T' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct worker *workers;
    long done = 0, ok = 0, errors = 0, connects = 0, lat_n = 0, status[MAX_STATUS + 1] = { 0 };
    double *lat, elapsed;
    int c;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': opt.port = atoi(optarg); break;
        case 'u': opt.path = optarg; break;
        case 'm': opt.method = optarg; break;
        case 'c': opt.cert = optarg; break;
        case 'k': opt.key = optarg; break;
        case 'n': opt.clients = atoi(optarg); break;
        case 'r': opt.requests = atol(optarg); break;
        case 's': opt.seconds = atof(optarg); break;
        case 'M':
            if (strcmp(optarg, "newconn") == 0)
                opt.mode = NEWCONN;
            else if (strcmp(optarg, "keepalive") == 0)
                opt.mode = KEEPALIVE;
            else
                usage();
            break;
        case 'C': opt.csr = 1; break;
        case 'e': opt.expect = atoi(optarg); break;
        case 'P': opt.pool = atol(optarg); break;
        case 'T': opt.timeout = atoi(optarg); break;
        default: usage();
        }
    }
    if (optind != argc || opt.timeout < 1 || opt.port <= 0 || opt.port > 65535 || opt.clients < 1 || opt.clients > 4096
        || (opt.requests <= 0 && opt.seconds <= 0) || opt.path[0] != '/'
        || (strcmp(opt.method, "GET") != 0 && strcmp(opt.method, "POST") != 0)
        || (!opt.cert != !opt.key) || strpbrk(opt.path, " \r\n"))
        usage();
    if (opt.csr && strcmp(opt.method, "POST") != 0)
        die("--csr needs --method POST");
    snprintf(host_header, sizeof host_header, "127.0.0.1:%d", opt.port);
    signal(SIGPIPE, SIG_IGN);

    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION))
        die("cannot make a TLS context");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);           /* loopback: no server verification */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF); /* every handshake is a full one */
    /* a peer that closes without close_notify ends the stream (bodies framed by a
       length are still checked for truncation) */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (opt.cert) {
        if (SSL_CTX_use_certificate_chain_file(ctx, opt.cert) != 1)
            die("cannot read --cert");
        if (SSL_CTX_use_PrivateKey_file(ctx, opt.key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1)
            die("cannot read --key, or it does not match --cert");
    }

    if (opt.csr) {
        long n = opt.pool > 0 ? opt.pool : opt.requests > 0 ? opt.requests : POOL_CAP;
        if (opt.requests > 0 && n > opt.requests)
            n = opt.requests;
        make_pool(n > POOL_CAP ? POOL_CAP : n);
    }

    workers = calloc((size_t)opt.clients, sizeof *workers);
    if (!workers)
        die("out of memory");
    t_start = now_s();
    t_deadline = t_start + opt.seconds;
    for (int i = 0; i < opt.clients; i++) {
        workers[i].index = i;
        if (pthread_create(&workers[i].tid, NULL, worker_main, &workers[i]) != 0)
            die("pthread_create");
    }
    for (int i = 0; i < opt.clients; i++)
        pthread_join(workers[i].tid, NULL);
    elapsed = now_s() - t_start;

    for (int i = 0; i < opt.clients; i++)
        lat_n += workers[i].lat_n;
    lat = malloc((size_t)(lat_n > 0 ? lat_n : 1) * sizeof *lat);
    if (!lat)
        die("out of memory");
    lat_n = 0;
    for (int i = 0; i < opt.clients; i++) {
        struct worker *w = &workers[i];
        done += w->done;
        ok += w->ok;
        errors += w->errors;
        connects += w->connects;
        for (int s = 0; s <= MAX_STATUS; s++)
            status[s] += w->status[s];
        memcpy(lat + lat_n, w->lat_ms, (size_t)w->lat_n * sizeof *lat);
        lat_n += w->lat_n;
        free(w->lat_ms);
    }
    qsort(lat, (size_t)lat_n, sizeof *lat, cmp_double);

    printf("requests=%ld ok=%ld errors=%ld connections=%ld csr_reused=%ld seconds=%.3f rps=%.1f "
           "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f statuses=",
           done, ok, errors, connects, opt.csr && done > pool_size ? done - pool_size : 0,
           elapsed, elapsed > 0 ? done / elapsed : 0.0,
           percentile(lat, lat_n, 50), percentile(lat, lat_n, 90), percentile(lat, lat_n, 99),
           lat_n ? lat[lat_n - 1] : 0.0);
    {
        int first = 1;
        for (int s = 0; s <= MAX_STATUS; s++) {
            if (!status[s])
                continue;
            if (s == 0)
                printf("%sio:%ld", first ? "" : ",", status[s]);
            else
                printf("%s%d:%ld", first ? "" : ",", s, status[s]);
            first = 0;
        }
        if (first)
            printf("-");
    }
    printf("\n");
    return errors ? 1 : 0;
}
