#ifndef ESTFCGI_CCURL_SHIM_H
#define ESTFCGI_CCURL_SHIM_H
/* libcurl (Debian libcurl4-openssl-dev). curl_easy_setopt and curl_easy_getinfo are
   variadic, which Swift cannot call: one typed wrapper per argument kind. */
#include <curl/curl.h>

static inline CURLcode estfcgi_curl_global_init(void) { return curl_global_init(CURL_GLOBAL_DEFAULT); }

static inline CURLcode estfcgi_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode estfcgi_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode estfcgi_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode estfcgi_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode estfcgi_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }

typedef size_t (*estfcgi_curl_write_fn)(char *data, size_t size, size_t count, void *context);
static inline CURLcode estfcgi_curl_setopt_write(CURL *h, estfcgi_curl_write_fn f) {
    return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, f);
}

static inline CURLcode estfcgi_curl_response_code(CURL *h, long *code) {
    return curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
}
#endif
