//! SVG to PNG with resvg, text set in the bundled DejaVu Sans only (no system fonts are read),
//! so a chart is the same bytes on every machine.

use std::sync::{Arc, OnceLock};

/// DejaVu Sans (Bitstream Vera licence, `assets/fonts/LICENSE-DejaVu.txt`).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The largest picture drawn, in pixels on a side: far above any chart made here.
const MAX_SIDE: u32 = 4096;

fn options() -> &'static resvg::usvg::Options<'static> {
    static OPTIONS: OnceLock<resvg::usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut db = resvg::usvg::fontdb::Database::new();
        db.load_font_data(FONT.to_vec());
        let mut o = resvg::usvg::Options {
            font_family: "DejaVu Sans".into(),
            ..Default::default()
        };
        o.fontdb = Arc::new(db);
        o
    })
}

/// The PNG of `svg`.
pub fn png(svg: &str) -> Result<Vec<u8>, String> {
    render(svg).map(|(png, _, _)| png)
}

/// The PNG of `svg`, with its width and height in pixels.
pub fn render(svg: &str) -> Result<(Vec<u8>, u32, u32), String> {
    let tree = resvg::usvg::Tree::from_str(svg, options()).map_err(|e| e.to_string())?;
    let size = tree.size().to_int_size();
    if size.width() > MAX_SIDE || size.height() > MAX_SIDE {
        return Err(format!(
            "a {}×{} picture is too large",
            size.width(),
            size.height()
        ));
    }
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("an empty picture")?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    let png = pixmap.encode_png().map_err(|e| e.to_string())?;
    Ok((png, size.width(), size.height()))
}
