//! docs/security.md shows the table the gate enforces: the block between its markers is
//! exactly what `policy::markdown()` prints.

#[test]
fn the_security_docs_show_the_table_the_gate_enforces() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/security.md");
    let docs = std::fs::read_to_string(path).expect("docs/security.md");
    let begin = "<!-- policy table: begin (printed by saman_auth::policy::markdown) -->\n";
    let end = "<!-- policy table: end -->";
    let from = docs.find(begin).expect("the begin marker") + begin.len();
    let to = docs.find(end).expect("the end marker");
    let shown = &docs[from..to];
    let table = saman_auth::policy::markdown();
    assert_eq!(
        shown, table,
        "docs/security.md's table differs from the policy; paste this between the markers:\n{table}"
    );
}
