//! The one client for everything dossier fetches on its own account (feeds, source pages and
//! the web archive): only `http` and `https`, only addresses the [`Policy`] allows (checked
//! after DNS, on every connection, and on every redirect's address), at most five redirects, a
//! deadline to connect and one in all, a cap on the body as read (after decompression), a
//! `User-Agent` that names dossier and the operator's contact, and conditional requests with
//! the validators of the last answer.

use super::address::Policy;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The most redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 5;
/// The largest body read by default: 5 MiB.
pub const DEFAULT_CAP: usize = 5 << 20;

/// How names are turned into addresses: the system's resolver, or (tests) a fixed table, so no
/// test can reach an address off this machine.
#[derive(Clone, Debug)]
pub enum Lookup {
    System,
    Fixed(HashMap<String, Vec<IpAddr>>),
}

/// How a [`Fetcher`] is set up.
#[derive(Clone, Debug)]
pub struct Options {
    pub policy: Policy,
    pub lookup: Lookup,
    /// "dossier/0.1 (+https://briefings.example.org/about)".
    pub user_agent: String,
    pub connect: Duration,
    pub total: Duration,
    /// The largest body read, in bytes.
    pub cap: usize,
}

impl Options {
    /// The defaults, with the operator's contact URL in the `User-Agent` when given.
    pub fn new(policy: Policy, contact: Option<&str>) -> Options {
        let version = env!("CARGO_PKG_VERSION");
        Options {
            policy,
            lookup: Lookup::System,
            user_agent: match contact {
                Some(c) => format!("dossier/{version} (+{c})"),
                None => format!("dossier/{version} (+https://github.com/dossier-bot/dossier)"),
            },
            connect: crate::deadlines::FETCH_CONNECT,
            total: crate::deadlines::FETCH,
            cap: DEFAULT_CAP,
        }
    }
}

/// What the last answer said of itself, sent back so an unchanged resource costs a `304`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A fetched resource.
#[derive(Clone, Debug)]
pub struct Page {
    /// Where it was found, after redirects.
    pub url: url::Url,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub validators: Validators,
}

/// What looking at a cited page found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The last answer's status.
    pub status: u16,
    /// Where the last answer came from.
    pub url: String,
    /// Each redirect followed: its status and where it led.
    pub hops: Vec<(u16, String)>,
    /// The page, for a `GET` answered 2xx (at most the cap).
    pub body: Vec<u8>,
    /// What `Retry-After` asked for.
    pub retry_after: Option<Duration>,
}

impl Checked {
    /// The address the page moved to for good: every redirect permanent (301, 308) and the
    /// page found there.
    pub fn moved_to(&self) -> Option<&str> {
        let permanent =
            !self.hops.is_empty() && self.hops.iter().all(|(s, _)| matches!(s, 301 | 308));
        (permanent && (200..300).contains(&self.status)).then_some(self.url.as_str())
    }
}

/// A web API's answer, whatever its status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// The body, at most the cap.
    pub body: Vec<u8>,
    /// What `Retry-After` asked for.
    pub retry_after: Option<Duration>,
}

/// What a fetch brought.
#[derive(Clone, Debug)]
pub enum Fetched {
    Page(Page),
    /// Unchanged since the validators given (`304`).
    NotModified,
}

/// Why a fetch brought nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("`{0}` is not an http or https address")]
    NotWeb(String),
    #[error(
        "{host} is {why} ({address}): dossier does not fetch from such addresses unless the operator allows it"
    )]
    Refused {
        host: String,
        address: IpAddr,
        why: &'static str,
    },
    #[error("{0} has no address")]
    NoSuchHost(String),
    #[error("more than {MAX_REDIRECTS} redirects")]
    Redirects,
    #[error("the answer is larger than {cap} bytes")]
    TooLarge { cap: usize },
    #[error("the server answered {status}")]
    Status {
        status: u16,
        /// What `Retry-After` asked for, with a 429 or 503.
        retry_after: Option<Duration>,
    },
    #[error("no answer within {0}")]
    Timeout(String),
    #[error("{0}")]
    Network(String),
}

/// The resolver reqwest connects through: every address a name resolves to must pass the
/// policy, or the name is refused whole (a name that mixes public and private addresses is a
/// way around a check of one of them).
struct Guarded {
    lookup: Arc<Lookup>,
    policy: Arc<Policy>,
}

impl reqwest::dns::Resolve for Guarded {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (lookup, policy) = (self.lookup.clone(), self.policy.clone());
        let host = name.as_str().to_ascii_lowercase();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = match &*lookup {
                Lookup::System => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
                Lookup::Fixed(names) => names
                    .get(&host)
                    .map(|ips| ips.iter().map(|ip| SocketAddr::new(*ip, 0)).collect())
                    .unwrap_or_default(),
            };
            if addrs.is_empty() {
                return Err(Box::new(FetchError::NoSuchHost(host)) as _);
            }
            for a in &addrs {
                if let Some(why) = policy.refuses(a.ip()) {
                    return Err(Box::new(FetchError::Refused {
                        host,
                        address: a.ip(),
                        why,
                    }) as _);
                }
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The address a URL names literally (reqwest connects to those without asking a resolver).
fn literal(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(v4.into()),
        url::Host::Ipv6(v6) => Some(v6.into()),
        url::Host::Domain(_) => None,
    }
}

/// Whether `url` may be asked for at all: http(s), and not a refused literal address.
fn admissible(url: &url::Url, policy: &Policy) -> Result<(), FetchError> {
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(FetchError::NotWeb(shown(url.as_str())));
    }
    if let Some(ip) = literal(url)
        && let Some(why) = policy.refuses(ip)
    {
        return Err(FetchError::Refused {
            host: ip.to_string(),
            address: ip,
            why,
        });
    }
    Ok(())
}

/// A URL as messages show it: at most 200 characters.
fn shown(url: &str) -> String {
    url.chars().take(200).collect()
}

/// The fetcher: cheap to clone, one connection pool.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    /// The same client that follows no redirect: [`Fetcher::check`] follows them itself, to
    /// see whether a page moved for good.
    direct: reqwest::Client,
    policy: Arc<Policy>,
    cap: usize,
    total: Duration,
}

impl Fetcher {
    pub fn new(options: Options) -> Result<Fetcher, String> {
        let policy = Arc::new(options.policy);
        let on_redirect = policy.clone();
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(FetchError::Redirects);
            }
            match admissible(attempt.url(), &on_redirect) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e),
            }
        });
        let lookup = Arc::new(options.lookup);
        let builder = |redirect: reqwest::redirect::Policy| {
            reqwest::Client::builder()
                .user_agent(options.user_agent.clone())
                .connect_timeout(options.connect)
                .timeout(options.total)
                .redirect(redirect)
                // A proxy would resolve names itself, past the policy.
                .no_proxy()
                .dns_resolver(Arc::new(Guarded {
                    lookup: lookup.clone(),
                    policy: policy.clone(),
                }))
                .build()
                .map_err(|e| format!("cannot set up the fetcher: {e}"))
        };
        let client = builder(redirects)?;
        let direct = builder(reqwest::redirect::Policy::none())?;
        Ok(Fetcher {
            client,
            direct,
            policy,
            cap: options.cap,
            total: options.total,
        })
    }

    /// `GET url`, conditional on `validators`.
    pub async fn get(&self, url: &str, validators: &Validators) -> Result<Fetched, FetchError> {
        let parsed = url::Url::parse(url).map_err(|_| FetchError::NotWeb(shown(url)))?;
        admissible(&parsed, &self.policy)?;
        let mut request = self.client.get(parsed);
        if let Some(etag) = &validators.etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(when) = &validators.last_modified {
            request = request.header(reqwest::header::IF_MODIFIED_SINCE, when);
        }
        let mut response = request.send().await.map_err(|e| self.classify(&e))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if status.is_redirection()
            && let Some(to) = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
        {
            // reqwest does not follow a redirect away from the web (`file:`, `ftp:`); other
            // redirects it leaves (300, 305) are answers like any other.
            let target = response.url().join(to);
            if target
                .as_ref()
                .is_ok_and(|u| !matches!(u.scheme(), "http" | "https"))
            {
                let to = target.map_or_else(|_| to.to_owned(), String::from);
                return Err(FetchError::NotWeb(shown(&to)));
            }
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                status: status.as_u16(),
                retry_after: retry_after(response.headers()),
            });
        }
        if response
            .content_length()
            .is_some_and(|n| n > self.cap as u64)
        {
            return Err(FetchError::TooLarge { cap: self.cap });
        }
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let validators = Validators {
            etag: header(reqwest::header::ETAG),
            last_modified: header(reqwest::header::LAST_MODIFIED),
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let url = response.url().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(&e))? {
            if body.len() + chunk.len() > self.cap {
                return Err(FetchError::TooLarge { cap: self.cap });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched::Page(Page {
            url,
            body,
            content_type,
            validators,
        }))
    }

    /// Look at a cited page: `HEAD`, or `GET` when `get` (then its body, to the cap), following
    /// at most [`MAX_REDIRECTS`] redirects itself, each checked by the policy. Any answer is a
    /// [`Checked`], whatever its status; only a page that cannot be asked is an error.
    pub async fn check(&self, url: &str, get: bool) -> Result<Checked, FetchError> {
        let mut at = url::Url::parse(url).map_err(|_| FetchError::NotWeb(shown(url)))?;
        let mut hops: Vec<(u16, String)> = Vec::new();
        loop {
            admissible(&at, &self.policy)?;
            let request = if get {
                self.direct.get(at.clone())
            } else {
                self.direct.head(at.clone())
            };
            let mut response = request.send().await.map_err(|e| self.classify(&e))?;
            let status = response.status();
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|to| at.join(to).ok());
            if status.is_redirection()
                && let Some(next) = location
            {
                if hops.len() >= MAX_REDIRECTS {
                    return Err(FetchError::Redirects);
                }
                hops.push((status.as_u16(), next.to_string()));
                at = next;
                continue;
            }
            let retry_after = retry_after(response.headers());
            let mut body = Vec::new();
            if get && status.is_success() {
                while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(&e))? {
                    let room = self.cap.saturating_sub(body.len());
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if room <= chunk.len() {
                        // A page's text past the cap is not needed to know it.
                        break;
                    }
                }
            }
            return Ok(Checked {
                status: status.as_u16(),
                url: at.to_string(),
                hops,
                body,
                retry_after,
            });
        }
    }

    /// Ask a web API for JSON: `GET url`, or `POST` of `form` when given, with an
    /// `Authorization` header when given (never sent on to another host by a redirect). Any
    /// answer is an [`Answer`], whatever its status; a body past the cap is an error.
    pub async fn call(
        &self,
        url: &str,
        form: Option<&[(&str, &str)]>,
        authorization: Option<&str>,
    ) -> Result<Answer, FetchError> {
        let parsed = url::Url::parse(url).map_err(|_| FetchError::NotWeb(shown(url)))?;
        admissible(&parsed, &self.policy)?;
        let mut request = match form {
            Some(fields) => self.client.post(parsed).form(fields),
            None => self.client.get(parsed),
        }
        .header(reqwest::header::ACCEPT, "application/json");
        if let Some(a) = authorization {
            let mut value = reqwest::header::HeaderValue::from_str(a)
                .map_err(|_| FetchError::Network("the archive keys are not a header".into()))?;
            value.set_sensitive(true);
            request = request.header(reqwest::header::AUTHORIZATION, value);
        }
        let mut response = request.send().await.map_err(|e| self.classify(&e))?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(&e))? {
            if body.len() + chunk.len() > self.cap {
                return Err(FetchError::TooLarge { cap: self.cap });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            body,
            retry_after,
        })
    }

    /// A reqwest error as a [`FetchError`]: the policy's own refusals are found among its causes.
    fn classify(&self, e: &reqwest::Error) -> FetchError {
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(cause) = next {
            if let Some(ours) = cause.downcast_ref::<FetchError>() {
                return ours.clone();
            }
            next = cause.source();
        }
        if e.is_timeout() {
            FetchError::Timeout(crate::deadlines::describe(self.total))
        } else if e.is_redirect() {
            FetchError::Redirects
        } else {
            FetchError::Network(crate::deadlines::causes(e))
        }
    }
}

/// `Retry-After` as seconds or as an HTTP date, at most a day.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let wait = match v.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
            (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
                .to_std()
                .unwrap_or_default()
        }
    };
    Some(wait.min(Duration::from_secs(86_400)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates_and_is_bounded() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "120".parse().expect("value"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(120)));
        h.insert(
            reqwest::header::RETRY_AFTER,
            "99999999".parse().expect("value"),
        );
        assert_eq!(retry_after(&h), Some(Duration::from_secs(86_400)));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
        h.insert(reqwest::header::RETRY_AFTER, soon.parse().expect("value"));
        let got = retry_after(&h).expect("a date");
        assert!(
            got > Duration::from_secs(80) && got <= Duration::from_secs(90),
            "{got:?}"
        );
        h.insert(reqwest::header::RETRY_AFTER, "soon".parse().expect("value"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn only_web_addresses_and_no_refused_literal_is_admissible() {
        let strict = Policy::default();
        let url = |s: &str| url::Url::parse(s).expect("url");
        assert!(admissible(&url("https://news.example.org/rss.xml"), &strict).is_ok());
        for bad in [
            "file:///etc/passwd",
            "ftp://example.org/x",
            "gopher://example.org/",
        ] {
            assert!(
                matches!(admissible(&url(bad), &strict), Err(FetchError::NotWeb(_))),
                "{bad}"
            );
        }
        for inner in [
            "http://127.0.0.1:8080/",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:10.0.0.1]/",
        ] {
            assert!(
                matches!(
                    admissible(&url(inner), &strict),
                    Err(FetchError::Refused { .. })
                ),
                "{inner}"
            );
        }
    }
}
