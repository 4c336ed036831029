//! `quyhoach announce`: every output of one notice, written into a directory.

use std::path::PathBuf;

use anyhow::{bail, Context as _};

use super::notice::{build, BuildOptions};
use super::{NoticeConsultation, NoticeKind, RenderContext, FILES};
use crate::portal::consult::{self, Window};
use crate::portal::sql::{self, SqlError, Tx};
use crate::portal::twoway::StateArgs;

/// Options of `quyhoach announce`.
#[derive(clap::Args, Debug)]
pub struct AnnounceArgs {
    /// Store directory.
    #[arg(long, env = "QUYHOACH_STORE", default_value = "demo-store", value_parser = crate::store_dir)]
    pub store: PathBuf,
    /// The plan announced (its id, as `quyhoach plans list` shows).
    #[arg(long)]
    pub plan: String,
    /// The commune announced to (its code); without it, the plan's whole area.
    #[arg(long)]
    pub commune: Option<String>,
    /// Directory the files are written into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Why: approved, adjusted or consultation; by default from the plan (a draft is put to
    /// consultation; a plan changing a binding plan of its level is an adjustment).
    #[arg(long, value_parser = ["approved", "adjusted", "consultation"])]
    pub kind: Option<String>,
    /// First day of the consultation, YYYY-MM-DD (default: today); with --closes, instead of
    /// the window opened in the portal.
    #[arg(long)]
    pub opens: Option<String>,
    /// Last day of the consultation, YYYY-MM-DD.
    #[arg(long)]
    pub closes: Option<String>,
    /// The portal's public address, printed, spoken and put in the QR codes.
    #[arg(
        long,
        env = "QUYHOACH_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
    /// Where people can see the documents and comment in person (the commune office).
    #[arg(long)]
    pub office_address: Option<String>,
    /// The office's phone number.
    #[arg(long)]
    pub office_phone: Option<String>,
    /// The office's own words in Vietnamese (what the plan is for), at most 1,000 characters.
    #[arg(long)]
    pub message: Option<String>,
    /// The same in English.
    #[arg(long)]
    pub message_en: Option<String>,
    /// Directory holding DejaVuSans.ttf and DejaVuSans-Bold.ttf (Debian fonts-dejavu-core).
    #[arg(long, env = "QUYHOACH_FONTS_DIR", default_value = crate::glyphs::DEFAULT_FONTS_DIR)]
    pub fonts_dir: PathBuf,
    /// The portal database (SQLite) whose consultation window is announced, if not the store's.
    #[arg(long, env = "QUYHOACH_DB", value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// PostgreSQL holding the portal's consultations.
    #[arg(long = "db-url", env = "QUYHOACH_DB_URL", value_name = "URL")]
    pub db_url: Option<String>,
    /// No progress lines.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The most characters of an official's message.
pub const MAX_MESSAGE_CHARS: usize = 1_000;

/// Checks an official's message: plain text, at most [`MAX_MESSAGE_CHARS`].
pub fn clean_message(m: Option<&str>) -> Result<Option<String>, String> {
    let Some(m) = m else { return Ok(None) };
    let m: String = m
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect::<String>()
        .trim()
        .to_string();
    if m.chars().count() > MAX_MESSAGE_CHARS {
        return Err(format!(
            "the message has {} characters; at most {MAX_MESSAGE_CHARS}",
            m.chars().count()
        ));
    }
    Ok((!m.is_empty()).then_some(m))
}

/// The consultation window of `plan` over `commune` in the portal: open or upcoming.
pub fn portal_window(
    tx: &mut dyn Tx,
    plan: &str,
    commune: Option<&str>,
) -> Result<Option<(i64, NoticeConsultation)>, SqlError> {
    Ok(match consult::window_for(tx, plan, commune, sql::now())? {
        Window::Open {
            id,
            opens_at,
            closes_at,
        }
        | Window::Upcoming {
            id,
            opens_at,
            closes_at,
        } => Some((
            id,
            NoticeConsultation {
                opens: consult::day_of(opens_at),
                closes: consult::last_day_of(closes_at),
            },
        )),
        _ => None,
    })
}

fn check_day(s: &str, what: &str) -> anyhow::Result<String> {
    consult::local_day(s, 0)
        .map(|_| s.trim().to_string())
        .with_context(|| format!("{what} '{s}' is not a date YYYY-MM-DD"))
}

/// Runs `quyhoach announce`.
pub fn run(args: &AnnounceArgs) -> anyhow::Result<()> {
    let kind = args.kind.as_deref().and_then(NoticeKind::parse);
    let index = quyhoach_data::index::Index::load(&args.store)
        .with_context(|| format!("cannot load the store {}", args.store.display()))?;
    let today = consult::day_of(sql::now());
    let mut consultation = None;
    let mut consultation_id = None;
    if let Some(closes) = &args.closes {
        let opens = check_day(args.opens.as_deref().unwrap_or(&today), "--opens")?;
        let closes = check_day(closes, "--closes")?;
        if closes < opens {
            bail!("--closes {closes} is before --opens {opens}");
        }
        consultation = Some(NoticeConsultation { opens, closes });
    } else if args.opens.is_some() {
        bail!("--opens needs --closes (the last day people can comment)");
    } else {
        let sqlite = args
            .db
            .clone()
            .unwrap_or_else(|| args.store.join("portal.sqlite"));
        if args.db_url.is_some() || sqlite.exists() {
            let db = StateArgs {
                store: args.store.clone(),
                db: args.db.clone(),
                db_url: args.db_url.clone(),
            }
            .open()?;
            let (plan, commune) = (args.plan.clone(), args.commune.clone());
            if let Some((id, w)) =
                db.tx_blocking(move |tx: &mut dyn Tx| portal_window(tx, &plan, commune.as_deref()))?
            {
                consultation = Some(w);
                consultation_id = Some(id);
            }
        }
    }
    let opts = BuildOptions {
        plan: args.plan.clone(),
        commune: args.commune.clone(),
        kind,
        consultation,
        consultation_id,
        public_url: args.public_url.trim_end_matches('/').to_string(),
        office_address: args.office_address.clone(),
        office_phone: args.office_phone.clone(),
        message_vi: clean_message(args.message.as_deref()).map_err(anyhow::Error::msg)?,
        message_en: clean_message(args.message_en.as_deref()).map_err(anyhow::Error::msg)?,
        date: today,
        data_version: crate::version::data_etag(&index, &[]),
    };
    let notice = build(&index, &opts).map_err(|e| anyhow::anyhow!("{e}"))?;
    let ctx = RenderContext::from_fonts_dir(&args.fonts_dir);
    let quiet = args.quiet;
    let total = FILES.len();
    let mut n = 0;
    super::write_all(&notice, &ctx, &args.out, &mut |name| {
        n += 1;
        if !quiet {
            eprintln!("[{n}/{total}] {name}");
        }
    })?;
    if !quiet {
        eprintln!(
            "{} — {}, {}: {} zones, written to {}",
            notice.title_vi,
            notice.plan.name,
            notice.area.name_vi,
            notice.zones.len(),
            args.out.display()
        );
    }
    Ok(())
}
