//! The connection-string masker: for any text, each password value it finds, as written, is
//! gone from the masked string when it stood there once (a value that also appears as
//! another part of the string, a host named like the password, cannot be told apart and is
//! skipped). The free-text masker hides it too, where free text reads it whole (no
//! whitespace in it or in its URL's authority).
#![no_main]

use greenroom_proto::secrets::{
    connection_string_written_secrets, mask_connection_string, mask_secrets_in_text,
};
use libfuzzer_sys::fuzz_target;

fn once(hay: &str, needle: &str) -> bool {
    hay.matches(needle).count() == 1
}

/// Whether the URL the secret stands in has whitespace between its `://` and the secret
/// (a user name with a blank): free text reads such a URL a word at a time.
fn blank_in_authority(conn: &str, secret: &str) -> bool {
    let Some(at) = conn.find(secret) else {
        return false;
    };
    conn[..at]
        .rfind("://")
        .is_some_and(|u| conn[u..at].contains(char::is_whitespace))
}

fuzz_target!(|data: &[u8]| {
    let Ok(conn) = std::str::from_utf8(data) else {
        return;
    };
    let masked = mask_connection_string(conn);
    let in_text = mask_secrets_in_text(conn);
    // The values as written: what the maskers replace. (The decoded values — what the agent
    // redacts from a job's output — may equal other text, a key's tail: `pass\word=` decodes
    // to `password=`; they are checked by the proptests against every dialect.)
    let secrets = connection_string_written_secrets(conn);
    for s in secrets {
        // A value with a `*` may be rebuilt by the mask itself (`Password=` + `***` holds
        // `rd=*`).
        if s.chars().count() < 4 || s.contains('*') || !once(conn, &s) {
            continue;
        }
        assert!(
            !masked.contains(&s),
            "{conn:?} -> {masked:?} still holds {s:?}"
        );
        // Free text is read a word at a time: a value with whitespace in it is found there
        // only in the shapes `secrets_in_free_text_are_masked_where_they_stand` lists (a
        // quoted URL's `user:pass word@`); any other is the one-string masker's alone.
        assert!(
            s.contains(char::is_whitespace)
                || blank_in_authority(conn, &s)
                || !in_text.contains(&s),
            "{conn:?} -> {in_text:?} (as text) still holds {s:?}"
        );
    }
});
