//! `dossier site --out DIR`: the web pages and each topic's Atom feed, written as a static
//! site for a host with no server. The feed's history is kept in the state folder
//! (`--state`, `state/` by default), where this run records what changed since the last: run
//! it after each change of the cards (in CI, say) and the feed grows one entry per change.

use super::common::Common;
use crate::app::App;
use crate::clock::Clock;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to write the site into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Where the feed's history is kept (`dossier.sqlite3` inside).
    #[arg(
        long,
        env = "DOSSIER_STATE",
        default_value = "state",
        value_name = "DIR"
    )]
    pub state: PathBuf,
    /// Where the site will be reached (`https://briefings.example.org`): the feed's links are
    /// absolute then.
    #[arg(long, value_name = "URL", value_parser = parse_public_url)]
    pub public_url: Option<url::Url>,
    #[command(flatten)]
    pub common: Common,
}

fn parse_public_url(s: &str) -> Result<url::Url, String> {
    let u = url::Url::parse(s).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err("an http(s) address with a host, like https://briefings.example.org".into());
    }
    Ok(u)
}

pub fn run(args: Args) -> ExitCode {
    let library = match args.common.library() {
        Ok(l) => l,
        Err(code) => return code,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let today = args.common.today();
    let recorded = runtime.block_on(async {
        let stores = crate::store::Stores::in_folder_async(&args.state).await?;
        let feed = crate::feed::Feed::open(stores.feed)
            .await
            .map_err(|e| e.to_string())?;
        let made = feed
            .record(&library, chrono::Utc::now(), today)
            .await
            .map_err(|e| e.to_string())?;
        // What the latest looks at the cited pages found, shown beside them as `serve` does.
        let checks = stores.sources.checks(None).await.unwrap_or_default();
        Ok::<_, String>((feed, made, crate::sources::shown::looks(&checks)))
    });
    let (feed, library) = match recorded {
        Ok((feed, made, looks)) => {
            for e in made {
                eprintln!("feed: {} (change {} of {})", e.title, e.seq, e.topic);
            }
            (feed, library.with_looks(Arc::new(looks)))
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let app = Arc::new(
        App::new(
            library,
            args.common.default_topic.clone(),
            Clock::Fixed(today),
        )
        .with_feed(feed)
        .with_public_url(args.public_url.clone()),
    );
    match runtime.block_on(crate::web::site::write(app, &args.out)) {
        Ok(w) => {
            println!(
                "Wrote {} files ({} KiB) to {}.",
                w.files,
                w.bytes.div_ceil(1024),
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
