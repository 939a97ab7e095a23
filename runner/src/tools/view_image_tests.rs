//! Tests for `view_image`: pass-through, resizing, re-encoding and every failure text.

use super::*;
use image::{ImageBuffer, Rgba};
use std::fs;

fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let img = DynamicImage::ImageRgba8(ImageBuffer::from_pixel(
        width,
        height,
        Rgba([200u8, 10, 10, 255]),
    ));
    let img = if format == ImageFormat::Jpeg {
        DynamicImage::ImageRgb8(img.to_rgb8())
    } else {
        img
    };
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode fixture");
    out.into_inner()
}

fn item(result: Result<Value, ToolRun>) -> (String, Vec<u8>, String) {
    let value = result.expect("image accepted");
    let items = value.as_array().expect("array");
    assert_eq!(items.len(), 1);
    let it = &items[0];
    assert_eq!(it["type"], "input_image");
    let url = it["image_url"].as_str().expect("url");
    let (head, data) = url.split_once(";base64,").expect("data url");
    let mime = head
        .strip_prefix("data:")
        .expect("data: prefix")
        .to_string();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("base64");
    (mime, bytes, it["detail"].as_str().unwrap_or("").to_string())
}

fn args(path: &str) -> String {
    json!({ "path": path }).to_string()
}

#[test]
fn small_png_passes_through_with_the_models_detail() {
    let dir = tempfile::tempdir().unwrap();
    let png = encoded(4, 3, ImageFormat::Png);
    fs::write(dir.path().join("s.png"), &png).unwrap();
    let (mime, bytes, detail) = item(run(&args("s.png"), dir.path(), true));
    assert_eq!((mime.as_str(), detail.as_str()), ("image/png", "original"));
    assert_eq!(bytes, png);
    let (_, bytes, detail) = item(run(&args("s.png"), dir.path(), false));
    assert_eq!(detail, "high");
    assert_eq!(bytes, png);
    let keys: Vec<String> = run(&args("s.png"), dir.path(), true).unwrap()[0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["type", "image_url", "detail"]);
}

#[test]
fn wide_image_is_resized_only_without_original_detail() {
    let dir = tempfile::tempdir().unwrap();
    let png = encoded(3000, 10, ImageFormat::Png);
    fs::write(dir.path().join("w.png"), &png).unwrap();
    let (_, bytes, _) = item(run(&args("w.png"), dir.path(), true));
    assert_eq!(bytes, png);
    let (mime, bytes, detail) = item(run(&args("w.png"), dir.path(), false));
    assert_eq!((mime.as_str(), detail.as_str()), ("image/png", "high"));
    let back = image::load_from_memory(&bytes).unwrap();
    assert_eq!(back.dimensions(), (2048, 7)); // what Codex 0.169.0 sent for 3000×10
    let (_, bytes, detail) = item(run(
        &json!({"path": "w.png", "detail": "high"}).to_string(),
        dir.path(),
        true,
    ));
    assert_eq!(detail, "high");
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 2048);
}

#[test]
fn large_jpeg_stays_jpeg_and_gif_becomes_png() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("t.jpg"),
        encoded(100, 4100, ImageFormat::Jpeg),
    )
    .unwrap();
    let (mime, bytes, _) = item(run(&args("t.jpg"), dir.path(), false));
    assert_eq!(mime, "image/jpeg");
    assert_eq!(
        image::load_from_memory(&bytes).unwrap().dimensions(),
        (50, 2048)
    );
    fs::write(dir.path().join("g.gif"), encoded(2, 2, ImageFormat::Gif)).unwrap();
    let (mime, bytes, _) = item(run(&args("g.gif"), dir.path(), true));
    assert_eq!(mime, "image/png");
    assert_eq!(image::guess_format(&bytes).unwrap(), ImageFormat::Png);
}

#[test]
fn absolute_paths_ignore_cwd() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.png");
    fs::write(&p, encoded(1, 1, ImageFormat::Png)).unwrap();
    assert!(run(&args(&p.to_string_lossy()), Path::new("/nonexistent"), true).is_ok());
}

#[test]
fn failures_use_codex_texts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("fake.png"), "not an image").unwrap();
    fs::write(d.join("cut.png"), &encoded(8, 8, ImageFormat::Png)[..20]).unwrap();
    let fail = |a: &str| run(a, d, true).unwrap_err();
    assert_eq!(fail(&args("fake.png")), ToolRun::fail(UNDECODABLE));
    assert_eq!(fail(&args("cut.png")), ToolRun::fail(UNDECODABLE));
    assert_eq!(
        fail(&args("nope.png")).output,
        format!(
            "unable to locate image at `{}`: No such file or directory (os error 2)",
            d.join("nope.png").display()
        )
    );
    assert_eq!(
        fail(&args(".")).output,
        format!("image path `{}` is not a file", d.display())
    );
    assert_eq!(
        fail(&json!({"path": "fake.png", "detail": "low"}).to_string()).output,
        "view_image.detail only supports `high` or `original`; omit `detail` for default high resized behavior, got `low`"
    );
    assert_eq!(
        fail("{}").output,
        "failed to parse function arguments: missing field `path` at line 1 column 2"
    );
    assert!(fail("{x")
        .output
        .starts_with("failed to parse function arguments: "));
}

#[test]
fn files_over_the_size_limit_are_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.png");
    let f = fs::File::create(&p).unwrap();
    f.set_len(MAX_IMAGE_FILE_BYTES + 1).unwrap(); // sparse: no real 50 MiB write
    let err = run(&args("huge.png"), dir.path(), true).unwrap_err();
    assert_eq!(
        err.output,
        format!(
            "unable to read image at `{}`: image exceeds the 52428800-byte limit",
            p.display()
        )
    );
}
