//! Arbitrary bytes → if UTF-8, `cypher::parse`. Never panics; an accepted query prints to
//! canonical Cypher that parses again and prints to the same text (round trip).
#![no_main]
use engine::cypher;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(stmt) = cypher::parse(text) else { return };
    let printed = cypher::print(&stmt);
    let reparsed = match cypher::parse(&printed) {
        Ok(s) => s,
        Err(e) => panic!("printed query does not parse: {e:?}\ninput:   {text:?}\nprinted: {printed:?}"),
    };
    let reprinted = cypher::print(&reparsed);
    assert_eq!(printed, reprinted, "print is not a fixed point\ninput: {text:?}");
});
