// wasi:http: TLS for https requests, with OpenSSL. One context per
// exchange (so SSL_CERT_FILE and SSL_CERT_DIR are read when a request is
// made), peer verification on, the host name (or IP address) checked
// against the certificate, TLS 1.2 at least; a server that closes without
// close_notify ends the body as a plain close does.
#include <arpa/inet.h>
#include <poll.h>

#include "wasip2/http.hh"

#ifdef EMBER_HAVE_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif

namespace ember::wasip2 {

#ifdef EMBER_HAVE_TLS

namespace {

bool is_ip(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

class OpenSslTls final : public Tls {
 public:
  OpenSslTls(SSL_CTX* ctx, SSL* ssl) : ctx_(ctx), ssl_(ssl) {}
  ~OpenSslTls() override {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }

  // Runs an SSL call until it gets on, waiting for the socket as it asks.
  template <typename F>
  int retry(F f, const Wait& wait) {
    for (;;) {
      ERR_clear_error();
      int r = f();
      if (r > 0) return r;
      int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_WANT_READ) wait(POLLIN);
      else if (e == SSL_ERROR_WANT_WRITE) wait(POLLOUT);
      else return e == SSL_ERROR_ZERO_RETURN ? 0 : -e;
    }
  }

  void handshake(const Wait& wait) {
    int r = retry([&] { return SSL_connect(ssl_); }, wait);
    if (r > 0) return;
    if (SSL_get_verify_result(ssl_) != X509_V_OK) throw HttpError::of("TLS-certificate-error");
    unsigned long e = ERR_peek_last_error();
    int reason = ERR_GET_REASON(e);
    if (ERR_GET_LIB(e) == ERR_LIB_SSL && reason >= SSL_AD_REASON_OFFSET &&
        reason < SSL_AD_REASON_OFFSET + 256) {
      const char* what = ERR_reason_error_string(e);
      HttpError alert{"TLS-alert-received", HttpError::Payload::Alert,
                      what ? std::optional<std::string>(what) : std::nullopt,
                      uint64_t(reason - SSL_AD_REASON_OFFSET)};
      throw alert;
    }
    throw HttpError::of("TLS-protocol-error");
  }

  size_t write(std::string_view data, const Wait& wait) override {
    int len = int(std::min<size_t>(data.size(), 1 << 20));
    int r = retry([&] { return SSL_write(ssl_, data.data(), len); }, wait);
    if (r <= 0) throw HttpError::of("connection-terminated");
    return size_t(r);
  }

  size_t read(char* out, size_t n, const Wait& wait) override {
    int len = int(std::min<size_t>(n, 1 << 20));
    int r = retry([&] { return SSL_read(ssl_, out, len); }, wait);
    if (r < 0) throw HttpError::of("connection-terminated");
    return size_t(r);
  }

 private:
  SSL_CTX* ctx_;
  SSL* ssl_;
};

}  // namespace

std::unique_ptr<Tls> Tls::connect(int fd, const std::string& host, const Wait& wait) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) throw HttpError::internal("TLS: cannot make an OpenSSL context");
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_default_verify_paths(ctx);
  SSL* ssl = SSL_new(ctx);
  if (!ssl) {
    SSL_CTX_free(ctx);
    throw HttpError::internal("TLS: cannot make an OpenSSL session");
  }
  auto tls = std::make_unique<OpenSslTls>(ctx, ssl);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (is_ip(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, host.c_str());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  }
  SSL_set_fd(ssl, fd);
  tls->handshake(wait);
  return tls;
}

#else

std::unique_ptr<Tls> Tls::connect(int, const std::string&, const Wait&) {
  throw HttpError::internal("Ember was built without OpenSSL: https is not supported");
}

#endif

}  // namespace ember::wasip2
