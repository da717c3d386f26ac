//! The command line acts as a named officer: `setup` creates the commune and its chairperson,
//! `--as USER` with the PIN from `KHUYENHOC_PIN` logs in, and the store refuses what the
//! officer's role does not allow — through the real binary, on a real file.

use khuyenhoc_tests::Env;

fn as_officer(env: &Env, user: &str, pin: &str, args: &[&str]) -> std::process::Output {
    env.cmd()
        .env("KHUYENHOC_USER", user)
        .env("KHUYENHOC_PIN", pin)
        .arg("--json")
        .args(args)
        .output()
        .unwrap()
}

fn error_code(out: &std::process::Output) -> String {
    assert!(!out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["error"]["code"].as_str().unwrap().to_owned()
}

#[test]
fn officers_log_in_from_the_command_line_and_roles_hold() {
    let env = Env::new();
    env.setup_commune();

    // Without --as the set-up register refuses changes and member lists.
    let out = env
        .cmd()
        .env_remove("KHUYENHOC_USER")
        .args([
            "--json",
            "members",
            "add",
            "--name",
            "Nguyễn Văn An",
            "--unit",
            "26734",
        ])
        .output()
        .unwrap();
    assert_eq!(error_code(&out), "login_required");

    // A wrong PIN is refused.
    let out = as_officer(&env, "lan", "0000", &["members", "list"]);
    assert_eq!(error_code(&out), "wrong_pin");

    // The chairperson adds a treasurer (the new PIN from KHUYENHOC_NEW_PIN).
    let out = env
        .cmd()
        .env("KHUYENHOC_USER", "lan")
        .env("KHUYENHOC_PIN", "2580")
        .env("KHUYENHOC_NEW_PIN", "3691")
        .args([
            "--json",
            "officers",
            "add",
            "quy",
            "--full-name",
            "Lê Văn Quý",
            "--role",
            "thủ quỹ",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let out = as_officer(
        &env,
        "quy",
        "3691",
        &[
            "members",
            "add",
            "--name",
            "Nguyễn Văn An",
            "--unit",
            "26734",
        ],
    );
    assert_eq!(error_code(&out), "forbidden");
    let out = as_officer(
        &env,
        "lan",
        "2580",
        &[
            "members",
            "add",
            "--name",
            "Nguyễn Văn An",
            "--unit",
            "26734",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The treasurer may read the register; the outbox shows who changed what, never a PIN hash.
    let out = as_officer(&env, "quy", "3691", &["members", "list"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Nguyễn Văn An"));
    let out = as_officer(&env, "lan", "2580", &["outbox"]);
    let outbox: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ops = outbox["ops"].as_array().unwrap();
    let member_op = ops.iter().find(|o| o["intent"] == "member.create").unwrap();
    assert_eq!(member_op["author"], "lan");
    let text = outbox.to_string();
    assert!(
        !text.contains("$argon2"),
        "no PIN hash in the outbox listing"
    );

    // Restoring is the chairperson's decision.
    let backup = env.path("copy.db");
    let out = as_officer(&env, "quy", "3691", &["backup", backup.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = as_officer(&env, "quy", "3691", &["restore", backup.to_str().unwrap()]);
    assert_eq!(error_code(&out), "forbidden");

    let listed = as_officer(&env, "lan", "2580", &["officers", "list"]);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let names: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["username"].as_str().unwrap(), o["role"].as_str().unwrap()))
        .collect();
    assert_eq!(names, [("lan", "chairperson"), ("quy", "treasurer")]);
}

#[test]
fn without_a_pin_and_no_terminal_the_command_says_how_to_give_one() {
    let env = Env::new();
    env.setup_commune();
    let out = env
        .cmd()
        .env("KHUYENHOC_USER", "lan")
        .env_remove("KHUYENHOC_PIN")
        .stdin(std::process::Stdio::null())
        .args(["--json", "members", "list"])
        .output()
        .unwrap();
    assert_eq!(error_code(&out), "pin_required");
    assert!(String::from_utf8_lossy(&out.stdout).contains("KHUYENHOC_PIN"));
}
