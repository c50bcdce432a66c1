use super::*;
use proptest::prelude::*;

fn one(body: &str) -> ApiModel {
    let rows = parse_models(body.as_bytes()).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.into_iter().next().unwrap()
}

#[test]
fn parses_the_documented_sample() {
    let body = r#"{"object":"list","data":[
     {"id":"deepseek-ai/DeepSeek-R1","object":"model","created":1737360000,"owned_by":"deepseek-ai",
      "architecture":{"input_modalities":["text"],"output_modalities":["text"]},
      "providers":[
       {"provider":"together","status":"live","context_length":163840,"pricing":{"input":3.0,"output":7.0},
        "supports_tools":false,"supports_structured_output":true,"first_token_latency_ms":611,"throughput":40.1,"is_model_author":false},
       {"provider":"novita","status":"live","context_length":64000,"pricing":{"input":0.7,"output":2.5},
        "supports_tools":true,"is_model_author":false},
       {"provider":"featherless-ai","status":"error","is_model_author":false}]}]}"#;
    let m = one(body);
    assert_eq!(m.id, "deepseek-ai/DeepSeek-R1");
    assert_eq!(m.created, Some(1_737_360_000));
    assert_eq!(m.owned_by.as_deref(), Some("deepseek-ai"));
    assert_eq!(m.input_modalities, Some(vec!["text".to_string()]));
    assert_eq!(m.providers.len(), 3);
    let together = &m.providers[0];
    assert_eq!(together.provider, "together");
    assert_eq!(together.status, "live");
    assert_eq!(together.context_length, Some(163_840));
    assert_eq!(
        together.pricing,
        Some(Cost {
            input: 3.0,
            output: 7.0
        })
    );
    assert_eq!(together.supports_tools, Some(false));
    assert_eq!(together.supports_structured_output, Some(true));
    assert_eq!(together.first_token_latency_ms, Some(611.0));
    assert_eq!(together.throughput, Some(40.1));
    assert_eq!(together.is_model_author, Some(false));
    assert_eq!(m.providers[2].status, "error");
    assert_eq!(m.providers[2].pricing, None);
}

#[test]
fn a_wrong_field_costs_the_field_not_the_row() {
    let m = one(
        r#"{"data":[{"id":"org/m","created":"yesterday","owned_by":7,"name":"  ","title":null,
        "display_name":" Nice ","architecture":{"input_modalities":"text"},"unknown":{"x":1},
        "providers":[
          {"provider":"a","status":"staging","context_length":-5,"pricing":{"input":"1","output":2},
           "supports_tools":"yes","throughput":"fast","first_token_latency_ms":-1},
          {"provider":"b","status":"degraded","context_length":32768.0,"pricing":{"input":1,"output":2}},
          {"status":"live"}, "nonsense", null, {"provider":"c"}]}]}"#,
    );
    assert_eq!(m.created, None);
    assert_eq!(m.owned_by, None);
    assert_eq!((m.name.as_deref(), m.title.as_deref()), (None, None));
    assert_eq!(m.display_name.as_deref(), Some("Nice"));
    assert_eq!(m.input_modalities, None);
    let names: Vec<_> = m.providers.iter().map(|b| b.provider.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    let a = &m.providers[0];
    assert_eq!(a.status, "staging");
    assert_eq!(
        (a.context_length, a.pricing, a.supports_tools),
        (None, None, None)
    );
    assert_eq!((a.throughput, a.first_token_latency_ms), (None, None));
    let b = &m.providers[1];
    assert_eq!(b.status, "degraded", "unknown statuses are kept as sent");
    assert_eq!(b.context_length, Some(32_768));
    assert_eq!(
        b.pricing,
        Some(Cost {
            input: 1.0,
            output: 2.0
        })
    );
    assert_eq!(m.providers[2].status, "unknown");
}

#[test]
fn rows_without_a_usable_id_are_skipped_and_duplicates_dropped() {
    let rows = parse_models(
        br#"[{"id":"a/b"},{"id":null},{"id":42},{"name":"x"},{"id":"   "},{"id":"noslash"},
            {"id":"a/b/c"},{"id":"a/b:fastest"},{"id":"a/b c"},"row",7,{"id":"/x"},{"id":"a//b"},
            {"id":" c/d ","name":"first"},{"id":"c/d","name":"second"}]"#,
    )
    .unwrap();
    let ids: Vec<_> = rows.iter().map(|m| m.id.as_str()).collect();
    // Ids without an org or with several slashes are kept: a ref can name them.
    assert_eq!(ids, ["a/b", "noslash", "a/b/c", "c/d"]);
    assert_eq!(rows[3].name.as_deref(), Some("first"));
}

#[test]
fn empty_lists_parse_and_non_lists_fail_with_an_excerpt() {
    assert!(
        parse_models(br#"{"object":"list","data":[]}"#)
            .unwrap()
            .is_empty()
    );
    assert!(parse_models(b"[]").unwrap().is_empty());

    let html = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>";
    let err = parse_models(html).unwrap_err();
    assert!(matches!(err, ParseError::NotJson { .. }), "{err:?}");
    assert!(err.to_string().contains("<!DOCTYPE html> <html>"), "{err}");

    for body in [
        &br#"{"error":"Invalid credentials"}"#[..],
        b"{\"data\":null}",
        b"42",
        b"\"x\"",
    ] {
        let err = parse_models(body).unwrap_err();
        assert!(matches!(err, ParseError::NoData { .. }), "{err:?}");
    }
    assert!(parse_models(b"").is_err());
    assert!(parse_models(br#"{"data":[{"id":"a/b"}"#).is_err());
}

#[test]
fn excerpts_are_short_and_cut_on_a_char_boundary() {
    let long = "é".repeat(1000);
    let e = excerpt(long.as_bytes());
    assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
    assert!(e.ends_with('…'));
    assert_eq!(excerpt(b"\xff\xfe ok"), "\u{fffd}\u{fffd} ok");
}

#[test]
fn wire_form_round_trips() {
    let body = testkit::fixtures::model_list("hub-docs-example.json").unwrap();
    let row: Value = serde_json::from_str(&body).unwrap();
    let parsed = parse_row(&row).unwrap();
    let again = parse_row(&parsed.to_wire()).unwrap();
    assert_eq!(parsed, again);
    let full = ApiModel {
        id: "a/b".into(),
        created: Some(1),
        owned_by: Some("a".into()),
        name: Some("N".into()),
        title: Some("T".into()),
        display_name: Some("D".into()),
        input_modalities: Some(vec!["text".into(), "image".into()]),
        providers: vec![ApiBackend {
            provider: "p".into(),
            status: "live".into(),
            context_length: Some(10),
            pricing: Some(Cost {
                input: 1.5,
                output: 2.0,
            }),
            is_free: Some(false),
            supports_tools: Some(true),
            supports_structured_output: Some(false),
            first_token_latency_ms: Some(3.5),
            throughput: Some(4.0),
            is_model_author: Some(true),
        }],
    };
    assert_eq!(parse_row(&full.to_wire()), Some(full));
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z/:_ -]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        let keys = prop_oneof![
            Just("id".to_string()),
            Just("data".to_string()),
            Just("providers".to_string()),
            Just("pricing".to_string()),
            Just("architecture".to_string()),
            Just("input_modalities".to_string()),
            Just("context_length".to_string()),
            Just("status".to_string()),
            Just("provider".to_string()),
            Just("input".to_string()),
            "[a-z_]{1,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_models(&body);
    }

    #[test]
    fn never_panics_on_arbitrary_json(value in arbitrary_json()) {
        let body = serde_json::to_vec(&value).unwrap();
        if let Ok(rows) = parse_models(&body) {
            for row in rows {
                // Resolvable in the canonical form (a bare `huggingface/x` id reads as a prefix).
                let canonical = format!("huggingface/{}", row.id);
                prop_assert!(crate::catalog::ModelRef::parse(&canonical).is_ok());
                // Whatever was kept survives a save and a reload unchanged.
                prop_assert_eq!(parse_row(&row.to_wire()), Some(row));
            }
        }
        let wrapped = serde_json::to_vec(&serde_json::json!({ "data": [value] })).unwrap();
        let _ = parse_models(&wrapped);
    }
}
