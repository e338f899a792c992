//! LocalStack and moto: they start, answer and stop, and handle conditional requests as README.md
//! documents.

use fireform_test_servers::{S3Kind, S3Server};

use crate::listening;

/// moto refuses reads without an `Authorization` header; neither server checks the signature.
const ANY_AUTH: (&str, &str) = (
    "Authorization",
    "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/s3/aws4_request, \
     SignedHeaders=host, Signature=0000",
);
const BINARY: (&str, &str) = ("Content-Type", "application/octet-stream");

#[test]
fn each_server_starts_answers_and_stops() {
    for kind in S3Kind::ALL {
        let server = S3Server::start(kind);
        eprintln!("{} started in {:?}", kind.name(), server.started_in());
        assert_eq!(server.kind(), kind);
        assert_eq!(server.endpoint(), format!("http://127.0.0.1:{}", server.port()));
        server.create_bucket("fireform-state");
        let put = server.request("PUT", "/fireform-state/a/state.json", &[ANY_AUTH, BINARY], b"{}");
        assert_eq!(put.status, 200, "{}", put.text());
        let get = server.request("GET", "/fireform-state/a/state.json", &[ANY_AUTH], b"");
        assert_eq!((get.status, get.text().as_str()), (200, "{}"));
        assert!(server.aws_env().contains(&("AWS_ENDPOINT_URL_S3", server.endpoint())));
        let port = server.port();
        drop(server);
        assert!(!listening(port, false), "{} still listens on {port} after drop", kind.name());
    }
}

/// The behaviour the S3 backend's lock and compare-and-swap rely on, or work around (README.md).
#[test]
fn conditional_requests_behave_as_documented() {
    for kind in S3Kind::ALL {
        let server = S3Server::start(kind);
        let name = kind.name();
        server.create_bucket("conditions");
        let key = "/conditions/state.json";
        let put = |headers: &[(&str, &str)], body: &[u8]| {
            server.request("PUT", key, &[&[ANY_AUTH, BINARY], headers].concat(), body)
        };

        let created = put(&[("If-None-Match", "*")], b"v1");
        assert_eq!(created.status, 200, "{name}: create-only PUT of a new key: {}", created.text());
        let etag = created.header("ETag").unwrap().to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{name}: unquoted ETag {etag}");

        let again = put(&[("If-None-Match", "*")], b"v2");
        assert_eq!(
            again.status,
            412,
            "{name}: create-only PUT of an existing key: {}",
            again.text()
        );
        assert!(again.text().contains("PreconditionFailed"), "{name}: {}", again.text());

        let stale = put(&[("If-Match", "\"00000000000000000000000000000000\"")], b"v2");
        assert_eq!(stale.status, 412, "{name}: PUT with a stale If-Match: {}", stale.text());
        let swapped = put(&[("If-Match", &etag)], b"v2");
        assert_eq!(
            swapped.status,
            200,
            "{name}: PUT with the current If-Match: {}",
            swapped.text()
        );
        let missing = server.request(
            "PUT",
            "/conditions/missing",
            &[ANY_AUTH, BINARY, ("If-Match", &etag)],
            b"x",
        );
        assert_eq!(
            missing.status,
            404,
            "{name}: If-Match PUT of a missing key: {}",
            missing.text()
        );

        let delete_stale = server.request("DELETE", key, &[ANY_AUTH, ("If-Match", &etag)], b"");
        let current = swapped.header("ETag").unwrap().to_owned();
        let delete_current =
            server.request("DELETE", key, &[ANY_AUTH, ("If-Match", &current)], b"");
        let after = server.request("GET", key, &[ANY_AUTH], b"").status;
        match kind {
            // LocalStack does not implement conditional DeleteObject, whatever the ETag.
            S3Kind::LocalStack => {
                assert_eq!((delete_stale.status, delete_current.status, after), (501, 501, 200));
                assert!(delete_stale.text().contains("NotImplemented"));
            }
            S3Kind::Moto => {
                assert_eq!((delete_stale.status, delete_current.status, after), (412, 204, 404))
            }
        }

        let wrong_signature =
            server.request("PUT", "/conditions/forged", &[ANY_AUTH, BINARY], b"x").status;
        assert_eq!(wrong_signature, 200, "{name} checks signatures after all");
        let unsigned_read = server.request("GET", "/conditions/forged", &[], b"").status;
        match kind {
            S3Kind::LocalStack => assert_eq!(unsigned_read, 200),
            S3Kind::Moto => assert_eq!(unsigned_read, 403),
        }
    }
}

/// LocalStack takes a lock per key around its precondition check and write, so exactly one of
/// many concurrent create-only PUTs wins. (moto gave one winner in every trial too, but checks and
/// writes without a lock, so it is not asserted here.)
#[test]
fn localstack_conditional_create_is_atomic() {
    let server = S3Server::start(S3Kind::LocalStack);
    server.create_bucket("race");
    for round in 0..5 {
        let key = format!("/race/lock-{round}");
        let barrier = std::sync::Barrier::new(16);
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let racers: Vec<_> = (0..16u8)
                .map(|racer| {
                    let (server, key, barrier) = (&server, &key, &barrier);
                    scope.spawn(move || {
                        barrier.wait();
                        let headers = [ANY_AUTH, BINARY, ("If-None-Match", "*")];
                        server.request("PUT", key, &headers, &[racer; 4096]).status
                    })
                })
                .collect();
            racers.into_iter().map(|racer| racer.join().unwrap()).collect()
        });
        let winners = statuses.iter().filter(|status| **status == 200).count();
        let losers = statuses.iter().filter(|status| **status == 412).count();
        assert_eq!((winners, losers), (1, 15), "round {round}: {statuses:?}");
    }
}
