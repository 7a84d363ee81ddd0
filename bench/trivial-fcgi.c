/*
 * trivial-fcgi: the benchmark's ceiling responder. libfcgi, N threads each in
 * FCGX_Accept_r on one listen socket; every request's body is read and
 * dropped, and the answer is 200 with 1 KiB of fixed bytes as
 * application/pkcs7-mime: what an enrollment answer looks like on the wire,
 * with no work behind it.
 *
 * Build: ${CC:-cc} -Wall -O2 -o trivial-fcgi trivial-fcgi.c -lfcgi -lpthread
 * Usage: trivial-fcgi --listen 127.0.0.1:PORT [--threads N]
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_BYTES 1024

static int listen_fd;
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
    (void)arg;
    if (FCGX_InitRequest(&req, listen_fd, 0) != 0)
        return NULL;
    /* No accept mutex: with FastCGI keep-conn a thread waits on its own connection
       inside FCGX_Accept_r, and a shared mutex would then stall every other thread. */
    while (FCGX_Accept_r(&req) >= 0) {
        while (FCGX_GetStr(sink, sizeof sink, req.in) > 0)
            ;
        FCGX_PutStr(head, (int)sizeof head - 1, req.out);
        FCGX_PutStr(body, BODY_BYTES, req.out);
        FCGX_Finish_r(&req);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *listen = NULL;
    int threads = 64;
    pthread_t *tids;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: trivial-fcgi --listen 127.0.0.1:PORT [--threads N]\n");
            return 2;
        }
    }
    if (!listen || threads < 1 || threads > 1024) {
        fprintf(stderr, "usage: trivial-fcgi --listen 127.0.0.1:PORT [--threads N]\n");
        return 2;
    }
    /* base64-looking filler, like an enroll answer */
    for (int i = 0; i < BODY_BYTES; i++)
        body[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i % 64];
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
