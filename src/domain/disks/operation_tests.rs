//! Given params / when read for a kind / then the spec, or the field named.

use serde_json::json;

use super::*;

fn field_of(kind: OperationKind, params: Value) -> String {
    match OperationSpec::parse(kind, &params) {
        Err(Rejection::Invalid { field, .. }) => field,
        other => panic!("{kind:?} {params}: expected a refusal, got {other:?}"),
    }
}

#[test]
fn each_kind_reads_its_params() {
    use OperationKind as K;
    for (kind, params) in [
        (K::Resize, json!({"partition": 2, "new_size_bytes": 1000})),
        (
            K::Create,
            json!({"start_bytes": 0, "size_bytes": 10, "type": "linux", "filesystem": "ext4", "label": "data"}),
        ),
        (K::Create, json!({"start_bytes": 0, "size_bytes": 10, "type": "linux"})),
        (K::Delete, json!({"partition": 3})),
        (K::Format, json!({"partition": 2, "filesystem": "xfs"})),
        (K::Move, json!({"partition": 2, "new_start_bytes": 0})),
        (K::SetFlag, json!({"partition": 1, "flag": "boot", "value": true})),
    ] {
        let spec = OperationSpec::parse(kind, &params).expect("valid");
        assert_eq!(spec.kind(), kind);
        assert_eq!(spec.params(), params, "params round-trip");
    }
}

#[test]
fn empty_or_non_object_params_are_refused() {
    assert_eq!(field_of(OperationKind::Delete, json!({})), "params");
    assert_eq!(field_of(OperationKind::Delete, json!([3])), "params");
}

#[test]
fn the_offending_field_is_named() {
    use OperationKind as K;
    for (kind, params, field) in [
        (K::Resize, json!({"partition": 2}), "params.new_size_bytes"),
        (K::Resize, json!({"partition": 2, "new_size_bytes": 0}), "params.new_size_bytes"),
        (K::Resize, json!({"partition": "two", "new_size_bytes": 5}), "params.partition"),
        (K::Create, json!({"start_bytes": 0, "type": "linux"}), "params.size_bytes"),
        (K::Create, json!({"start_bytes": -1, "size_bytes": 5, "type": "linux"}), "params.start_bytes"),
        (K::Create, json!({"start_bytes": 0, "size_bytes": 5}), "params.type"),
        (K::Create, json!({"start_bytes": 0, "size_bytes": 5, "type": "linux", "label": "x"}), "params.label"),
        (K::Delete, json!({"partition": 0}), "params.partition"),
        (K::Delete, json!({"partiton": 3}), "params.partiton"),
        (K::Format, json!({"partition": 2}), "params.filesystem"),
        (K::Format, json!({"partition": 2, "filesystem": "zfs"}), "params.filesystem"),
        (K::Format, json!({"partition": 2, "filesystem": "fat32", "label": "LONGER THAN 11"}), "params.label"),
        (K::Move, json!({"partition": 2}), "params.new_start_bytes"),
        (K::SetFlag, json!({"partition": 1, "flag": "boot"}), "params.value"),
        (K::SetFlag, json!({"partition": 1, "flag": "bootable", "value": true}), "params.flag"),
    ] {
        assert_eq!(field_of(kind, params.clone()), field, "{kind:?} {params}");
    }
}

#[test]
fn descriptions_read_as_sentences() {
    let spec = OperationSpec::parse(OperationKind::Resize, &json!({"partition": 2, "new_size_bytes": 85899345920_i64}))
        .expect("valid");
    assert_eq!(spec.describe(), "resize partition 2 to 80.0 GB");
}
