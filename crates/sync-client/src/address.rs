//! The server's address. `https://` anywhere; `http://` only to this machine (loopback), unless
//! the officer explicitly allows it, so the device token never crosses a network in clear.

use reqwest::Url;

use crate::error::SyncError;

/// A checked server address (a base URL ending in `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAddress(Url);

impl ServerAddress {
    /// Reads `text`; `allow_insecure` lets `http://` reach another machine.
    pub fn parse(text: &str, allow_insecure: bool) -> Result<ServerAddress, SyncError> {
        let text = text.trim();
        let bad = || SyncError::BadAddress {
            address: text.to_owned(),
        };
        let mut url = Url::parse(text).map_err(|_| bad())?;
        let host = url.host().ok_or_else(bad)?;
        let loopback = match host {
            url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
            url::Host::Ipv4(ip) => ip.is_loopback(),
            url::Host::Ipv6(ip) => ip.is_loopback(),
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback || allow_insecure => {}
            "http" => {
                return Err(SyncError::InsecureAddress {
                    address: text.to_owned(),
                });
            }
            _ => return Err(bad()),
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        url.set_query(None);
        url.set_fragment(None);
        Ok(ServerAddress(url))
    }

    /// The URL of `path` (relative, e.g. `v1/push`) on this server.
    pub fn join(&self, path: &str) -> Url {
        self.0.join(path).expect("a relative path joins a base URL")
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_goes_anywhere_http_only_to_this_machine() {
        assert!(ServerAddress::parse("https://khuyenhoc.quangtri.vn", false).is_ok());
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost:8080/",
            "http://[::1]:9000",
        ] {
            assert!(ServerAddress::parse(local, false).is_ok(), "{local}");
        }
        let err = ServerAddress::parse("http://192.168.1.10:8080", false).unwrap_err();
        assert!(matches!(err, SyncError::InsecureAddress { .. }));
        assert!(err.message_vi().contains("https"));
        assert!(ServerAddress::parse("http://192.168.1.10:8080", true).is_ok());
    }

    #[test]
    fn other_schemes_and_garbage_are_refused() {
        for bad in ["ftp://example.org", "khuyenhoc", "", "https://"] {
            assert!(
                matches!(
                    ServerAddress::parse(bad, true),
                    Err(SyncError::BadAddress { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn paths_join_under_the_base() {
        let a = ServerAddress::parse("https://example.org/khuyenhoc", false).unwrap();
        assert_eq!(
            a.join("v1/push").as_str(),
            "https://example.org/khuyenhoc/v1/push"
        );
    }
}
