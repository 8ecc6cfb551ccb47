//! A third-party image host on loopback, for uploads from a URL.

/// An image host on loopback: `/missing…` answers 404, anything else a
/// small JPEG. Returns its base URL.
pub async fn start() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let mut buf = vec![0u8; 4096];
            let n = conn.read(&mut buf).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            let reply: Vec<u8> = if head.starts_with("GET /missing") {
                b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec()
            } else {
                let body = [0xFFu8, 0xD8, 0xFF, 0xE0, 0, 0x10];
                let mut r = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: image/jpeg\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                r.extend_from_slice(&body);
                r
            };
            let _ = conn.write_all(&reply).await;
        }
    });
    format!("http://{addr}")
}
