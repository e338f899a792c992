//! AWS Signature Version 4 for S3 requests, over the project's own HTTP client.
//!
//! Only what the S3 backend sends: a method, a path-style or virtual-hosted URL, a few headers
//! and a body whose SHA-256 is signed (`x-amz-content-sha256`). The secret never leaves this
//! module except as the signature.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The credentials requests are signed with.
#[derive(Clone)]
pub(crate) struct Credentials {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret or the token, not even in debug output.
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// One request to sign.
pub(crate) struct Request<'a> {
    pub(crate) method: &'a str,
    /// The host header value (with a port where it is not the scheme's default).
    pub(crate) host: &'a str,
    /// The path, already URI-encoded (`/bucket/key%20name`).
    pub(crate) path: &'a str,
    /// Query pairs, not encoded.
    pub(crate) query: &'a [(&'a str, &'a str)],
    /// Extra headers to sign, lower-case names.
    pub(crate) headers: &'a [(&'a str, &'a str)],
    /// The body's SHA-256, hex.
    pub(crate) payload_sha256: &'a str,
}

/// Hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The headers to send: `x-amz-date`, `x-amz-content-sha256`, the session token if any, and
/// `authorization`. `amz_date` is `YYYYMMDDTHHMMSSZ`.
pub(crate) fn sign(
    request: &Request<'_>,
    credentials: &Credentials,
    region: &str,
    amz_date: &str,
) -> Vec<(String, String)> {
    let date = &amz_date[..amz_date.len().min(8)];
    let mut headers: Vec<(String, String)> = vec![
        ("host".to_owned(), request.host.to_owned()),
        ("x-amz-content-sha256".to_owned(), request.payload_sha256.to_owned()),
        ("x-amz-date".to_owned(), amz_date.to_owned()),
    ];
    if let Some(token) = &credentials.session_token {
        headers.push(("x-amz-security-token".to_owned(), token.clone()));
    }
    for (name, value) in request.headers {
        headers.push(((*name).to_ascii_lowercase(), value.trim().to_owned()));
    }
    headers.sort();
    let canonical_headers: String =
        headers.iter().map(|(name, value)| format!("{name}:{value}\n")).collect();
    let signed_headers: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
    let signed_headers = signed_headers.join(";");
    let mut query: Vec<(String, String)> = request
        .query
        .iter()
        .map(|(name, value)| (uri_encode(name, true), uri_encode(value, true)))
        .collect();
    query.sort();
    let canonical_query: Vec<String> =
        query.iter().map(|(name, value)| format!("{name}={value}")).collect();
    let canonical_request = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{}",
        request.method,
        request.path,
        canonical_query.join("&"),
        request.payload_sha256
    );
    let scope = format!("{date}/{region}/s3/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let key = [date, region, "s3", "aws4_request"]
        .iter()
        .fold(format!("AWS4{}", credentials.secret_access_key).into_bytes(), |key, part| {
            hmac(&key, part.as_bytes())
        });
    let signature = hex(&hmac(&key, string_to_sign.as_bytes()));
    let mut out: Vec<(String, String)> =
        headers.into_iter().filter(|(name, _)| name != "host").collect();
    out.push((
        "authorization".to_owned(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            credentials.access_key_id
        ),
    ));
    out
}

/// URI-encodes as SigV4 wants: unreserved characters as they are, everything else `%XX`
/// (upper case); `/` kept unless `encode_slash`.
pub(crate) fn uri_encode(text: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            b'/' if !encode_slash => out.push('/'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else { return Vec::new() };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The "GET Object" example of the S3 SigV4 documentation.
    #[test]
    fn signs_the_documented_get_object_example() {
        let credentials = Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
            session_token: None,
        };
        let empty = sha256_hex(b"");
        assert_eq!(empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        let request = Request {
            method: "GET",
            host: "examplebucket.s3.amazonaws.com",
            path: "/test.txt",
            query: &[],
            headers: &[("range", "bytes=0-9")],
            payload_sha256: &empty,
        };
        let headers = sign(&request, &credentials, "us-east-1", "20130524T000000Z");
        let authorization = &headers.iter().find(|(name, _)| name == "authorization").unwrap().1;
        assert_eq!(
            authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn encodes_as_sigv4_wants() {
        assert_eq!(uri_encode("a b/c~d", false), "a%20b/c~d");
        assert_eq!(uri_encode("a b/c", true), "a%20b%2Fc");
        assert_eq!(uri_encode("é", true), "%C3%A9");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let credentials = Credentials {
            access_key_id: "AKID".to_owned(),
            secret_access_key: "very-secret".to_owned(),
            session_token: Some("token-secret".to_owned()),
        };
        let text = format!("{credentials:?}");
        assert!(!text.contains("very-secret"), "{text}");
        assert!(!text.contains("token-secret"), "{text}");
    }
}
