#ifndef ESTFCGI_COPENSSL_SHIM_H
#define ESTFCGI_COPENSSL_SHIM_H
/*
 * OpenSSL 3 headers, plus static inline wrappers for what Swift cannot import:
 * the type-safe stack macros, BIO and OPENSSL_free macros, the variadic
 * key-generation helpers and the XN_FLAG_RFC2253 composite constant.
 */
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/engine.h>
#include <openssl/ui.h>
/* PKCS#11 types (header only, nothing linked): the layer probes a module itself to tell a
 * missing token from a missing key, which libp11's engine reports alike. */
#include <p11-kit-1/p11-kit/pkcs11.h>

/* STACK_OF(X509) */
static inline STACK_OF(X509) *estfcgi_sk_X509_new(void) { return sk_X509_new_null(); }
static inline int estfcgi_sk_X509_push(STACK_OF(X509) *s, X509 *x) { return sk_X509_push(s, x); }
static inline int estfcgi_sk_X509_num(const STACK_OF(X509) *s) { return sk_X509_num(s); }
static inline X509 *estfcgi_sk_X509_value(const STACK_OF(X509) *s, int i) { return sk_X509_value(s, i); }
/* Frees the stack only; the certificates stay owned by their Swift wrappers. */
static inline void estfcgi_sk_X509_free(STACK_OF(X509) *s) { sk_X509_free(s); }
static inline void estfcgi_sk_X509_pop_free(STACK_OF(X509) *s) { sk_X509_pop_free(s, X509_free); }

/* STACK_OF(X509_EXTENSION) */
static inline STACK_OF(X509_EXTENSION) *estfcgi_sk_X509_EXTENSION_new(void) { return sk_X509_EXTENSION_new_null(); }
static inline int estfcgi_sk_X509_EXTENSION_push(STACK_OF(X509_EXTENSION) *s, X509_EXTENSION *e) {
    return sk_X509_EXTENSION_push(s, e);
}
static inline int estfcgi_sk_X509_EXTENSION_num(const STACK_OF(X509_EXTENSION) *s) { return sk_X509_EXTENSION_num(s); }
static inline X509_EXTENSION *estfcgi_sk_X509_EXTENSION_value(const STACK_OF(X509_EXTENSION) *s, int i) {
    return sk_X509_EXTENSION_value(s, i);
}
static inline void estfcgi_sk_X509_EXTENSION_pop_free(STACK_OF(X509_EXTENSION) *s) {
    sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free);
}

/* STACK_OF(X509_REVOKED): the entries of a CRL, owned by it. */
static inline int estfcgi_sk_X509_REVOKED_num(const STACK_OF(X509_REVOKED) *s) { return sk_X509_REVOKED_num(s); }
static inline X509_REVOKED *estfcgi_sk_X509_REVOKED_value(const STACK_OF(X509_REVOKED) *s, int i) {
    return sk_X509_REVOKED_value(s, i);
}

/* BIO / memory macros */
static inline long estfcgi_BIO_get_mem_data(BIO *b, char **pp) { return BIO_get_mem_data(b, pp); }
static inline void estfcgi_OPENSSL_free(void *p) { OPENSSL_free(p); }
static inline unsigned long estfcgi_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253; }

/* Key generation (EVP_EC_gen / EVP_RSA_gen are variadic macros). */
static inline EVP_PKEY *estfcgi_ec_gen(const char *curve) { return EVP_EC_gen(curve); }
static inline EVP_PKEY *estfcgi_rsa_gen(unsigned int bits) { return EVP_RSA_gen(bits); }
static inline EVP_PKEY *estfcgi_ed25519_gen(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); }

/* A named curve's domain parameters, as a key without a point: the template that
 * estfcgi_ec_public_key copies. NULL on failure. */
static inline EVP_PKEY *estfcgi_ec_parameters(const char *group) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEY_PARAMETERS, params) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}
/* An EC public key on `parameters`' curve from its encoded point (checked on the curve, as
 * EC_POINT_oct2point does), without OpenSSL 3.0's SubjectPublicKeyInfo decoder, whose set-up
 * per key cost more than the signature check it serves (the CSR fast path,
 * CertificateSigningRequest). Copying the curve from a template costs a fifth of building it
 * from its name (EVP_PKEY_fromdata: 24 us against 4 us here). NULL on failure. */
static inline EVP_PKEY *estfcgi_ec_public_key(const EVP_PKEY *parameters, const unsigned char *point, size_t len) {
    EVP_PKEY *pkey = EVP_PKEY_new();
    if (pkey == NULL || EVP_PKEY_copy_parameters(pkey, parameters) != 1
        || EVP_PKEY_set1_encoded_public_key(pkey, point, len) != 1) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    return pkey;
}
/* 1 when `sig` is `pkey`'s signature over `tbs` with digest `md` (fetched once), else 0. */
static inline int estfcgi_digest_verify(EVP_PKEY *pkey, const EVP_MD *md, const unsigned char *tbs, size_t tbs_len,
                                        const unsigned char *sig, size_t sig_len) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    /* One verification per context: without FINALISE, EVP_DigestVerifyFinal works on a copy. */
    if (ctx != NULL) EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
    int ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) == 1
        && EVP_DigestVerify(ctx, sig, sig_len, tbs, tbs_len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* PKCS#7: the certificate set of a SignedData (the union is not importable). */
static inline STACK_OF(X509) *estfcgi_pkcs7_certs(PKCS7 *p7) {
    if (p7 == NULL || !PKCS7_type_is_signed(p7) || p7->d.sign == NULL) return NULL;
    return p7->d.sign->cert;
}

/* The signature AlgorithmIdentifier DER a provider's signature context names (what
 * ASN1_item_sign_ctx writes for a provider key): its length, 0 when it names none. */
static inline size_t estfcgi_signature_algorithm_id(EVP_PKEY_CTX *pctx, unsigned char *buf, size_t cap) {
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, buf, cap);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_PKEY_CTX_get_params(pctx, params) <= 0) return 0;
    return params[0].return_size <= cap ? params[0].return_size : 0;
}

/* One X.509v3 extension from OpenSSL's config syntax ("critical,CA:FALSE", "hash",
 * "keyid:always"); the X509V3_CTX lives on the C stack so Swift never sees its layout. */
static inline X509_EXTENSION *estfcgi_make_extension(X509 *issuer, X509 *subject, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, subject, NULL, NULL, 0);
    return X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
}

/* PKCS#11 keys through libp11's engine (Debian libengine-pkcs11-openssl). OpenSSL 3.0 deprecates
 * the ENGINE API but still supports it, and bookworm has no pkcs11-provider; the deprecated calls
 * stay in here so Swift never sees them. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
static int estfcgi_ui_refuse(UI *ui, UI_STRING *uis) { (void)ui; (void)uis; return -1; }
/* A UI method that refuses every prompt: a server must fail, never ask a terminal for a PIN. */
static inline UI_METHOD *estfcgi_ui_refusing_new(void) {
    UI_METHOD *m = UI_create_method("estfcgi: no prompts");
    if (m != NULL) UI_method_set_reader(m, estfcgi_ui_refuse);
    return m;
}
/* A private instance of the engine for one module (LIST_ADD 0: not shared through OpenSSL's
 * engine list, so two modules get two instances), initialised; NULL on failure. Returns the
 * functional reference only. */
static inline ENGINE *estfcgi_pkcs11_engine_new(const char *so_path, const char *module_path) {
    OPENSSL_init_crypto(OPENSSL_INIT_ENGINE_DYNAMIC, NULL);
    ENGINE *e = ENGINE_by_id("dynamic");
    if (e == NULL) return NULL;
    if (!ENGINE_ctrl_cmd_string(e, "SO_PATH", so_path, 0) || !ENGINE_ctrl_cmd_string(e, "ID", "pkcs11", 0) ||
        !ENGINE_ctrl_cmd_string(e, "LIST_ADD", "0", 0) || !ENGINE_ctrl_cmd_string(e, "LOAD", NULL, 0) ||
        !ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module_path, 0) ||
        !ENGINE_ctrl_cmd_string(e, "QUIET", NULL, 1) || !ENGINE_init(e)) {
        ENGINE_free(e);
        return NULL;
    }
    ENGINE_free(e);
    return e;
}
/* Sets the PIN, then loads the private key the URI names (logging in). */
static inline EVP_PKEY *estfcgi_pkcs11_load(ENGINE *e, const char *uri, const char *pin, UI_METHOD *ui) {
    if (!ENGINE_ctrl_cmd_string(e, "PIN", pin, 0)) return NULL;
    return ENGINE_load_private_key(e, uri, ui, NULL);
}
#pragma clang diagnostic pop
static inline int estfcgi_ERR_GET_REASON(unsigned long code) { return ERR_GET_REASON(code); }
/* HKDF-SHA256 (RFC 5869), extract then expand, through the EVP_PKEY interface: 1 on success. */
static inline int estfcgi_hkdf_sha256(const unsigned char *ikm, int ikm_len, const unsigned char *salt, int salt_len,
                                      const unsigned char *info, int info_len, unsigned char *out, size_t out_len) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    int ok = ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) == 1
        && EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, salt_len) == 1 && EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, ikm_len) == 1
        && EVP_PKEY_CTX_add1_hkdf_info(ctx, info, info_len) == 1 && EVP_PKEY_derive(ctx, out, &out_len) == 1;
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

/* AES-256-GCM with a 12-byte IV and a 16-byte tag (NIST SP 800-38D): `out` takes in_len bytes. */
static inline int estfcgi_aes256gcm_seal(const unsigned char *key, const unsigned char *iv, const unsigned char *aad, int aad_len,
                                         const unsigned char *in, int in_len, unsigned char *out, unsigned char *tag) {
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    int ok = c != NULL && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 && EVP_EncryptInit_ex(c, NULL, NULL, key, iv) == 1
        && EVP_EncryptUpdate(c, NULL, &len, aad, aad_len) == 1 && EVP_EncryptUpdate(c, out, &len, in, in_len) == 1
        && EVP_EncryptFinal_ex(c, out + len, &fin) == 1 && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

/* The reverse: 1 only when the tag authenticates the AAD and the ciphertext. */
static inline int estfcgi_aes256gcm_open(const unsigned char *key, const unsigned char *iv, const unsigned char *aad, int aad_len,
                                         const unsigned char *in, int in_len, const unsigned char *tag, unsigned char *out) {
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    int ok = c != NULL && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 && EVP_DecryptInit_ex(c, NULL, NULL, key, iv) == 1
        && EVP_DecryptUpdate(c, NULL, &len, aad, aad_len) == 1 && EVP_DecryptUpdate(c, out, &len, in, in_len) == 1
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) == 1 && EVP_DecryptFinal_ex(c, out + len, &fin) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok;
}
#endif
