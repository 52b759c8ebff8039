//! Tests of `form`.

use super::*;

fn text(form: &Form, key: &str) -> String {
    form.get(key).map(Value::as_text).unwrap_or_default()
}

#[test]
fn reads_fields_lists_and_continuations() {
    let form = parse_form(
        FormKind::Position,
        "Stance: Talks only in Oman.\nsummary: First line\nsecond line: with a colon\n\nRed Lines:\n- No missiles\n* No allies\ndemands: Indirect talks\nsources: a-1, b-2\nc-3",
    )
    .unwrap();
    assert_eq!(text(&form, "stance"), "Talks only in Oman.");
    assert_eq!(
        text(&form, "summary"),
        "First line second line: with a colon"
    );
    assert_eq!(
        form.get("red_lines"),
        Some(&Value::List(vec!["No missiles".into(), "No allies".into()]))
    );
    assert_eq!(
        form.get("demands"),
        Some(&Value::List(vec!["Indirect talks".into()]))
    );
    assert_eq!(
        form.get("sources"),
        Some(&Value::List(vec!["a-1".into(), "b-2".into(), "c-3".into()]))
    );
    assert_eq!(form.get("signals"), None);
    // In the form's order, whatever order they were typed in.
    let keys: Vec<&str> = form.values.iter().map(|(f, _)| f.key).collect();
    assert_eq!(
        keys,
        ["stance", "summary", "demands", "red_lines", "sources"]
    );
}

#[test]
fn an_empty_list_field_clears_it() {
    let form = parse_form(FormKind::Position, "signals:\nstance: x").unwrap();
    assert_eq!(form.get("signals"), Some(&Value::List(vec![])));
}

#[test]
fn says_which_line_is_wrong() {
    let e = parse_form(FormKind::Position, "\nstanse: x").unwrap_err();
    assert_eq!(
        e,
        FormError::NoField {
            line: 2,
            text: "stanse: x".into(),
            suggestion: Some("stance")
        }
    );
    assert!(
        e.explain(FormKind::Position)
            .contains("Did you mean `stance:`?")
    );
    let e = parse_form(FormKind::Event, "date: 2026-01-01\ndate: 2026-01-02").unwrap_err();
    assert_eq!(
        e,
        FormError::Repeated {
            line: 2,
            label: "date"
        }
    );
}

#[test]
fn renders_what_it_reads() {
    let values = vec![
        ("stance", Value::Text("S".into())),
        ("demands", Value::List(vec!["a".into(), "b".into()])),
        ("sources", Value::List(vec!["x".into(), "y".into()])),
    ];
    let text = render_form(FormKind::Position, &values);
    assert_eq!(text, "stance: S\ndemands:\n- a\n- b\nsources: x, y\n");
    let form = parse_form(FormKind::Position, &text).unwrap();
    for (k, v) in &values {
        assert_eq!(form.get(k), Some(v));
    }
}

#[test]
fn hostile_input_is_refused_or_read_in_linear_time() {
    let big = "a".repeat(MAX_FORM_BYTES + 1);
    assert!(matches!(
        parse_form(FormKind::Position, &big),
        Err(FormError::TooLong { .. })
    ));
    // 16 KiB of colons, dashes and field names: read at once, in one pass.
    for unit in [
        "summary:",
        ":",
        "- ",
        "demands:\n",
        "x\n",
        "summary: x\n- \n",
    ] {
        let text: String = unit.repeat(MAX_FORM_BYTES / unit.len());
        let started = std::time::Instant::now();
        let _ = parse_form(FormKind::Position, &text);
        assert!(
            started.elapsed() < std::time::Duration::from_millis(200),
            "{unit:?}"
        );
    }
    // 64 KiB is refused before it is read.
    let started = std::time::Instant::now();
    let text = "summary: x\n".repeat(64 * 1024 / 11);
    assert!(parse_form(FormKind::Position, &text).is_err());
    assert!(started.elapsed() < std::time::Duration::from_millis(50));
}
