/*
 * pkcs11-sign: signatures/s with a key in a PKCS#11 token (through libp11's engine, as
 * estfcgi's ESTOpenSSL loads it) against a software key of the same type, in one run; and
 * the CGI case: fresh processes that each load the token key (log in) and sign once.
 *
 *   pkcs11-sign sign MODULE URI PIN SOFTWARE-KEY.pem SECONDS THREADS
 *   pkcs11-sign procs MODULE URI PIN PROCESSES ROUNDS lock|nolock
 *
 * `sign` prints one line per key: signatures/s at THREADS threads (SHA-256 digests).
 * `procs` starts PROCESSES processes at once, ROUNDS times; with `lock` each holds an
 * flock on the module file while it loads, as ESTOpenSSL does. It prints loads/s and how
 * many failed. Output is key=value pairs. The PIN is an argument: throwaway tokens only.
 *
 * Build: ${CC:-cc} -O2 -Wno-deprecated-declarations -o pkcs11-sign pkcs11-sign.c -lcrypto -lpthread
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static const char *engine_so(void) {
    static char path[4096];
    const char *dir = getenv("OPENSSL_ENGINES");
    if (dir == NULL) dir = "/usr/lib/x86_64-linux-gnu/engines-3";
    snprintf(path, sizeof path, "%s/pkcs11.so", dir);
    return path;
}

static EVP_PKEY *token_key(const char *module, const char *uri, const char *pin) {
    ENGINE *e = ENGINE_by_id("dynamic");
    if (e == NULL || !ENGINE_ctrl_cmd_string(e, "SO_PATH", engine_so(), 0) || !ENGINE_ctrl_cmd_string(e, "ID", "pkcs11", 0) ||
        !ENGINE_ctrl_cmd_string(e, "LIST_ADD", "0", 0) || !ENGINE_ctrl_cmd_string(e, "LOAD", NULL, 0) ||
        !ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module, 0) || !ENGINE_ctrl_cmd_string(e, "QUIET", NULL, 1) ||
        !ENGINE_init(e) || !ENGINE_ctrl_cmd_string(e, "PIN", pin, 0))
        return NULL;
    return ENGINE_load_private_key(e, uri, NULL, NULL);
}

static int sign_once(EVP_PKEY *key, unsigned char *data) {
    unsigned char sig[1024];
    size_t n = sizeof sig;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c != NULL && EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestSign(c, sig, &n, data, 32) == 1;
    EVP_MD_CTX_free(c);
    return ok;
}

struct job { EVP_PKEY *key; double until; long done, failed; };

static void *worker(void *arg) {
    struct job *j = arg;
    unsigned char data[32] = {1};
    while (now() < j->until) {
        data[0]++;
        if (sign_once(j->key, data)) j->done++; else j->failed++;
    }
    return NULL;
}

static void measure(const char *name, EVP_PKEY *key, double seconds, int threads) {
    pthread_t t[64];
    struct job jobs[64];
    double start = now();
    for (int i = 0; i < threads; i++) {
        jobs[i] = (struct job){key, start + seconds, 0, 0};
        pthread_create(&t[i], NULL, worker, &jobs[i]);
    }
    long done = 0, failed = 0;
    for (int i = 0; i < threads; i++) { pthread_join(t[i], NULL); done += jobs[i].done; failed += jobs[i].failed; }
    double elapsed = now() - start;
    printf("key=%s bits=%d threads=%d signatures=%ld failed=%ld per_second=%.0f\n", name, EVP_PKEY_get_bits(key),
           threads, done, failed, done / elapsed);
}

static int child(const char *module, const char *uri, const char *pin, int lock) {
    int fd = -1;
    if (lock && ((fd = open(module, O_RDONLY | O_CLOEXEC)) < 0 || flock(fd, LOCK_EX) != 0)) return 5;
    EVP_PKEY *key = token_key(module, uri, pin);
    if (fd >= 0) close(fd);
    if (key == NULL) return 3;
    unsigned char data[32] = {2};
    return sign_once(key, data) ? 0 : 4;
}

int main(int argc, char **argv) {
    if (argc == 8 && strcmp(argv[1], "sign") == 0) {
        int threads = atoi(argv[7]);
        if (threads < 1 || threads > 64) threads = 1;
        EVP_PKEY *token = token_key(argv[2], argv[3], argv[4]);
        FILE *f = fopen(argv[5], "r");
        EVP_PKEY *software = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
        if (token == NULL || software == NULL) { ERR_print_errors_fp(stderr); return 2; }
        measure("token", token, atof(argv[6]), threads);
        measure("software", software, atof(argv[6]), threads);
        return 0;
    }
    if (argc == 8 && strcmp(argv[1], "procs") == 0) {
        int procs = atoi(argv[5]), rounds = atoi(argv[6]), lock = strcmp(argv[7], "lock") == 0;
        long ok = 0, failed = 0;
        double start = now();
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < procs; i++) {
                pid_t p = fork();
                if (p == 0) _exit(child(argv[2], argv[3], argv[4], lock));
            }
            for (int i = 0; i < procs; i++) {
                int st;
                if (wait(&st) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) ok++; else failed++;
            }
        }
        printf("processes=%d rounds=%d lock=%s loads_ok=%ld failed=%ld loads_per_second=%.0f\n", procs, rounds,
               lock ? "yes" : "no", ok, failed, (ok + failed) / (now() - start));
        return 0;
    }
    fprintf(stderr, "usage: pkcs11-sign sign MODULE URI PIN SOFTWARE-KEY.pem SECONDS THREADS\n"
                    "       pkcs11-sign procs MODULE URI PIN PROCESSES ROUNDS lock|nolock\n");
    return 2;
}
