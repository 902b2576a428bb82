//! The `local-api` binary itself: starts on the given port, serves the template's routes,
//! keeps data and the moved clock across a restart, and refuses to start on drift.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start(data_dir: &Path) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_local-api"))
        .env("PORT", port.to_string())
        .env("DATA_DIR", data_dir)
        .env_remove("JWT_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{}/health", server.base)).await.is_err() {
        assert!(Instant::now() < deadline, "local-api did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

async fn post(base: &str, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(format!("{base}{path}")).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn data_tokens_and_clock_survive_a_restart() {
    let data_dir = std::env::temp_dir().join(format!("roost-local-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let credentials = json!({"email": "ada@example.com", "password": "correct horse battery"});

    let server = start(&data_dir).await;
    let (status, _) = post(
        &server.base,
        "/auth/register",
        None,
        json!({"email": "ada@example.com", "password": "correct horse battery", "firstName": "Ada", "lastName": "L"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, tokens) = post(&server.base, "/auth/login", None, credentials.clone()).await;
    assert_eq!(status, 200);
    let (status, clock) = post(
        &server.base,
        "/_local/clock",
        None,
        json!({"now": "2030-06-01T12:00:00Z"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(clock["now"], "2030-06-01T12:00:00Z");
    // The token was issued before the jump: expired by the local clock now.
    let access = tokens["accessToken"].as_str().unwrap().to_owned();
    let me = reqwest::Client::new()
        .get(format!("{}/users/me", server.base))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status().as_u16(), 401);
    let (status, fresh) = post(&server.base, "/auth/login", None, credentials.clone()).await;
    assert_eq!(status, 200);
    drop(server);

    let server = start(&data_dir).await;
    let clock: Value = reqwest::get(format!("{}/_local/clock", server.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(clock["now"].as_str().unwrap().starts_with("2030-06-01"), "{clock}");
    let me = reqwest::Client::new()
        .get(format!("{}/users/me", server.base))
        .bearer_auth(fresh["accessToken"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status().as_u16(),
        200,
        "the user and the signing secret survive a restart"
    );
    let (status, _) = post(
        &server.base,
        "/auth/refresh",
        None,
        json!({"refreshToken": fresh["refreshToken"]}),
    )
    .await;
    assert_eq!(status, 200);
    drop(server);
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[test]
fn refuses_to_start_when_the_template_drifts() {
    let dir = std::env::temp_dir().join(format!("roost-drift-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let template = local_api::template::BUILT_IN.replace("Binary: get-me", "Binary: get-me-renamed");
    let path = dir.join("template.yaml");
    std::fs::write(&path, template).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_local-api"))
        .env("PORT", free_port().to_string())
        .env("DATA_DIR", dir.join("data"))
        .env("ROOST_TEMPLATE", &path)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("get-me-renamed") && stderr.contains("handler `get-me` has no function"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
