//! Builders for posters and backgrounds: list, upload (bytes or URL), select.

use reqwest::Method;

use super::PlexRequest;

/// Which image of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageKind {
    /// The poster (`thumb` on the item).
    Poster,
    /// The background (`art` on the item).
    Art,
}

impl ImageKind {
    /// The plural path used to list and upload (`posters`, `arts`).
    pub fn plural(self) -> &'static str {
        match self {
            ImageKind::Poster => "posters",
            ImageKind::Art => "arts",
        }
    }

    /// The singular path used to select (`poster`, `art`).
    pub fn singular(self) -> &'static str {
        match self {
            ImageKind::Poster => "poster",
            ImageKind::Art => "art",
        }
    }

    /// The item field locked to keep the choice (`thumb`, `art`).
    pub fn lock_field(self) -> &'static str {
        match self {
            ImageKind::Poster => "thumb",
            ImageKind::Art => "art",
        }
    }
}

/// `GET /library/metadata/{id}/posters|arts`: the candidates.
pub fn list_images(id: &str, kind: ImageKind) -> PlexRequest {
    PlexRequest::new(Method::GET, ["library", "metadata", id, kind.plural()])
}

/// `POST /library/metadata/{id}/posters|arts` with the raw image bytes as the
/// body (not multipart: Plex wants the bytes as they are).
pub fn upload_image(id: &str, kind: ImageKind, bytes: Vec<u8>, content_type: &str) -> PlexRequest {
    PlexRequest::new(Method::POST, ["library", "metadata", id, kind.plural()])
        .with_body(bytes, content_type)
}

/// `POST /library/metadata/{id}/posters|arts?url=<url>`: Plex fetches it.
pub fn upload_image_url(id: &str, kind: ImageKind, url: &str) -> PlexRequest {
    PlexRequest::new(Method::POST, ["library", "metadata", id, kind.plural()])
        .with_query("url", url)
}

/// `PUT /library/metadata/{id}/poster|art?url=<candidate ratingKey>`.
pub fn select_image(id: &str, kind: ImageKind, key: &str) -> PlexRequest {
    PlexRequest::new(Method::PUT, ["library", "metadata", id, kind.singular()])
        .with_query("url", key)
}

/// The largest image we upload: Plex has no documented limit, Kometa
/// refuses anything from 10 480 000 bytes on, and so do we.
pub const MAX_UPLOAD_BYTES: u64 = 10_480_000;

/// The content type of image bytes, from their magic number; `None` when
/// they are not a JPEG, PNG, WebP, GIF or BMP image.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xff, 0xd8, 0xff, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some("image/webp"),
        [b'G', b'I', b'F', b'8', ..] => Some("image/gif"),
        [b'B', b'M', ..] => Some("image/bmp"),
        _ => None,
    }
}

/// The key Plex gives an uploaded image: uploads are content-addressed by
/// the SHA-1 of their bytes (`upload://posters/<sha1>`), which is what makes
/// re-uploading the same bytes a no-op and lets us select it right away.
pub fn upload_key(kind: ImageKind, bytes: &[u8]) -> String {
    use sha1::Digest;
    let digest = sha1::Sha1::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("upload://{}/{hex}", kind.plural())
}

/// The image content type for a file name, from its extension; Plex sniffs
/// the bytes anyway, this only keeps the header honest.
pub fn image_content_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "tbn" | "jpg" | "jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_is_a_raw_post_to_the_plural_path() {
        let req = upload_image("9", ImageKind::Poster, vec![1, 2, 3], "image/png");
        assert_eq!(req.method, Method::POST);
        assert_eq!(req.path, ["library", "metadata", "9", "posters"]);
        assert_eq!(req.body.as_ref().map(|b| b.bytes.len()), Some(3));
        assert!(req.query.is_empty());
    }

    #[test]
    fn upload_by_url_and_select_use_the_url_query() {
        let req = upload_image_url("9", ImageKind::Art, "https://img.example/a b.jpg?x=1&y=2");
        assert_eq!(req.path, ["library", "metadata", "9", "arts"]);
        assert_eq!(
            req.query_value("url"),
            Some("https://img.example/a b.jpg?x=1&y=2")
        );
        let sel = select_image("9", ImageKind::Poster, "upload://posters/abc");
        assert_eq!(sel.method, Method::PUT);
        assert_eq!(sel.path, ["library", "metadata", "9", "poster"]);
        assert_eq!(sel.query_value("url"), Some("upload://posters/abc"));
    }

    #[test]
    fn images_are_recognised_by_their_bytes() {
        assert_eq!(sniff_image(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"\x89PNG\r\n"), Some("image/png"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8"), Some("image/webp"));
        assert_eq!(sniff_image(b"<html>"), None);
        assert_eq!(sniff_image(b""), None);
    }

    #[test]
    fn upload_key_is_the_sha1_of_the_bytes() {
        assert_eq!(
            upload_key(ImageKind::Poster, b"abc"),
            "upload://posters/a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert!(upload_key(ImageKind::Art, b"abc").starts_with("upload://arts/"));
    }

    #[test]
    fn content_type_follows_the_extension() {
        assert_eq!(image_content_type("poster.JPG"), "image/jpeg");
        assert_eq!(image_content_type("fanart.png"), "image/png");
        assert_eq!(image_content_type("noext"), "application/octet-stream");
    }
}
