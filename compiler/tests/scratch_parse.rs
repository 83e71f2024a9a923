#[test]
fn scratch() {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/SPEC.md")).unwrap();
    let mut blocks = Vec::new();
    let mut cur: Option<String> = None;
    for line in spec.lines() {
        if line.trim() == "```vigil" { cur = Some(String::new()); continue; }
        if line.trim() == "```" { if let Some(b) = cur.take() { blocks.push(b); } continue; }
        if let Some(b) = cur.as_mut() { b.push_str(line); b.push('\n'); }
    }
    for b in &blocks {
        let p = vigil_compiler::syntax::parse_file(b);
        for e in &p.errors { println!("FILE ERR {e:?}"); }
        for it in &p.items {
            for e in &it.errors { println!("ITEM {:?} ERR {:?}\n{}", it.name, e, &b[it.offset as usize..]); }
        }
        println!("block: {} items", p.items.len());
    }
}
#[test]
fn scratch_errors() {
    for src in [
        "rule r {\n  when c: CallRecord where c.x = 3\n  alert u\n}",
        "rule r {\n  when c: CallRecord where c.x >= \n  alert u\n}",
        "rule r {\n  when c: CallRecord where c.x > 3 && c.y\n  alert u\n}",
        "event E {\n  a: int\n  b: str\n}",
        "rule r {\n  when c: CallRecord\n  alert u\n",
        "workflow w {\n start on d: D by d.k\n state a { on X b }\n}",
        "rule r { when sequence by k within 5m a: A then b B alert u }",
        "test \"t\" { events { A { time: 2021-01-01T00:00:00Z, } } expect alert }",
    ] {
        let p = vigil_compiler::syntax::parse_file(src);
        for it in &p.items {
            for e in &it.errors { println!("{}\n  {e}  {:?}", src, e); }
        }
    }
}
