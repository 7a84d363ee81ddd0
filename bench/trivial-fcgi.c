/*
 * trivial-fcgi: the benchmark's ceiling responder. libfcgi, N threads each in
 * FCGX_Accept_r on one listen socket; every request's body is read and
 * dropped, and the answer is 200 with 1 KiB of fixed bytes as
 * application/pkcs7-mime: what an enrollment answer looks like on the wire,
 * with no work behind it.
 *
 * --crypto: each request also does the cryptography an enrollment cannot skip (one
 * ECDSA P-256 signature and two P-256 verifications, the crypto floor of bench/run),
 * and nothing else: the ceiling of any responder on this machine, since nginx and
 * the load client take their share of the same cores.
 *
 * Build: ${CC:-cc} -Wall -O2 -o trivial-fcgi trivial-fcgi.c -lfcgi -lpthread -lcrypto
 * Usage: trivial-fcgi --listen 127.0.0.1:PORT [--threads N] [--crypto]
 */
#include <fcgiapp.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_BYTES 1024

static int listen_fd;
static EVP_PKEY *floor_key; /* --crypto: the P-256 key signed and verified with */

/* One sign and two verifies over a digest of the request's first bytes; 0 when all held. */
static int crypto_floor(const char *data, size_t len)
{
    unsigned char md[32], sig[80];
    size_t siglen = sizeof sig;
    int ok = 0;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(floor_key, NULL);
    if (!ctx || !EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL))
        goto out;
    if (EVP_PKEY_sign_init(ctx) <= 0 || EVP_PKEY_sign(ctx, sig, &siglen, md, sizeof md) <= 0)
        goto out;
    for (int i = 0; i < 2; i++)
        if (EVP_PKEY_verify_init(ctx) <= 0 || EVP_PKEY_verify(ctx, sig, siglen, md, sizeof md) != 1)
            goto out;
    ok = 1;
out:
    EVP_PKEY_CTX_free(ctx);
    return ok ? 0 : -1;
}
static char body[BODY_BYTES];
static const char head[] = "Status: 200 OK\r\n"
                           "Content-Type: application/pkcs7-mime; smime-type=certs-only\r\n"
                           "Content-Transfer-Encoding: base64\r\n"
                           "Content-Length: 1024\r\n"
                           "\r\n";

static void *serve(void *arg)
{
    FCGX_Request req;
    char sink[4096];
    int first;
    (void)arg;
    if (FCGX_InitRequest(&req, listen_fd, 0) != 0)
        return NULL;
    /* No accept mutex: with FastCGI keep-conn a thread waits on its own connection
       inside FCGX_Accept_r, and a shared mutex would then stall every other thread. */
    while (FCGX_Accept_r(&req) >= 0) {
        first = FCGX_GetStr(sink, sizeof sink / 2, req.in);
        while (FCGX_GetStr(sink + sizeof sink / 2, sizeof sink / 2, req.in) > 0)
            ;
        if (floor_key && crypto_floor(sink, first > 0 ? (size_t)first : 0) != 0) {
            FCGX_FPrintF(req.out, "Status: 500 Internal Server Error\r\n\r\n");
            FCGX_Finish_r(&req);
            continue;
        }
        FCGX_PutStr(head, (int)sizeof head - 1, req.out);
        FCGX_PutStr(body, BODY_BYTES, req.out);
        FCGX_Finish_r(&req);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *listen = NULL;
    int threads = 64, crypto = 0;
    pthread_t *tids;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--crypto") == 0)
            crypto = 1;
        else {
            fprintf(stderr, "usage: trivial-fcgi --listen 127.0.0.1:PORT [--threads N] [--crypto]\n");
            return 2;
        }
    }
    if (!listen || threads < 1 || threads > 1024) {
        fprintf(stderr, "usage: trivial-fcgi --listen 127.0.0.1:PORT [--threads N] [--crypto]\n");
        return 2;
    }
    /* base64-looking filler, like an enroll answer */
    for (int i = 0; i < BODY_BYTES; i++)
        body[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i % 64];
    if (crypto && !(floor_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"))) {
        fprintf(stderr, "trivial-fcgi: cannot make a P-256 key\n");
        return 1;
    }
    if (FCGX_Init() != 0) {
        fprintf(stderr, "trivial-fcgi: FCGX_Init failed\n");
        return 1;
    }
    /* libfcgi catches SIGTERM (to finish the current request, then return from
       accept); this process holds nothing worth finishing: let SIGTERM end it. */
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    listen_fd = FCGX_OpenSocket(listen, 128);
    if (listen_fd < 0) {
        fprintf(stderr, "trivial-fcgi: cannot listen on %s\n", listen);
        return 1;
    }
    tids = calloc((size_t)threads, sizeof *tids);
    if (!tids)
        return 1;
    for (int i = 0; i < threads; i++)
        if (pthread_create(&tids[i], NULL, serve, NULL) != 0) {
            fprintf(stderr, "trivial-fcgi: pthread_create failed\n");
            return 1;
        }
    for (int i = 0; i < threads; i++)
        pthread_join(tids[i], NULL);
    return 0;
}
