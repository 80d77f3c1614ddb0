// SPDX-License-Identifier: Apache-2.0
// File: a TLS certificate made at test time for loopback servers (wss://, https://,
// h2 over TLS): self-signed EC P-256, CN and SAN IP:127.0.0.1, CA:TRUE so it is its
// own trust anchor, valid for an hour. No certificate is checked into the tree.
//
// Thread safety: make_test_certificate() is reentrant; PemFile is a plain value.
#pragma once

#include <filesystem>
#include <string>

namespace loqui::testing {

struct TestCertificate {
  std::string cert_pem;  ///< the certificate (also the CA to trust)
  std::string key_pem;   ///< its private key
};

/// A fresh self-signed certificate for 127.0.0.1.
TestCertificate make_test_certificate();

/// Writes PEM text to a unique temporary file (for `ca_file` options) and removes
/// it on destruction.
class PemFile {
 public:
  explicit PemFile(const std::string& pem);
  ~PemFile();
  PemFile(const PemFile&) = delete;
  PemFile& operator=(const PemFile&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string string() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace loqui::testing
