//! Writes synthetic briefing trees for benchmarks: valid cards of realistic shape, as many
//! topics, actors and events as asked. Shared by the benchmark binaries with `#[path]`.

use std::fmt::Write as _;
use std::path::Path;

pub struct Shape {
    pub topics: usize,
    pub actors: usize,
    pub events: usize,
    pub sources: usize,
    pub experts: usize,
}

fn date(i: usize) -> String {
    format!(
        "20{:02}-{:02}-{:02}",
        10 + (i / 336) % 16,
        1 + (i / 28) % 12,
        1 + i % 28
    )
}

pub fn write_tree(root: &Path, shape: &Shape) -> usize {
    let mut files = 0;
    for t in 0..shape.topics {
        let dir = root.join(format!("topic-{t}"));
        std::fs::create_dir_all(dir.join("actors")).expect("mkdir");
        let mut topic = format!(
            "id = \"topic-{t}\"\ntitle = \"Synthetic topic {t}\"\naliases = [\"synthetic {t}\"]\n\
             bottom_line = \"Parties in topic {t} negotiate over water, trade and borders. Talks continue.\"\n\
             why_it_matters = \"It affects {t} million people and regional trade.\"\n\
             sources = [\"source-0\"]\nstatus = \"active\"\nstatus_note = \"Round {t} is planned.\"\n\
             as_of = \"2026-03-20\"\nstale_after_days = 30\ntags = [\"synthetic\", \"benchmark\"]\n\
             key_questions = [\"Will round {t} succeed?\"]\n"
        );
        let _ = write!(
            topic,
            "\n[[watch]]\nitem = \"Next round\"\nexpected = \"2027-01\"\nsources = [\"source-1\"]\n"
        );
        std::fs::write(dir.join("topic.toml"), topic).expect("write");
        let mut sources = String::new();
        for s in 0..shape.sources {
            let _ = write!(
                sources,
                "[[source]]\nid = \"source-{s}\"\ntitle = \"Report number {s} on topic {t}\"\npublisher = \"Gazette {s}\"\n\
                 url = \"https://news{s}.example.org/topic-{t}/report-{s}\"\npublished = \"{}\"\nkind = \"news\"\n\n",
                date(s)
            );
        }
        std::fs::write(dir.join("sources.toml"), sources).expect("write");
        for a in 0..shape.actors {
            let s1 = a % shape.sources;
            let s2 = (a + 1) % shape.sources;
            let actor = format!(
                "id = \"actor-{a}\"\nname = \"Actor {a} of {t}\"\naliases = [\"a{a}\", \"party {a}\"]\nkind = \"state\"\n\
                 role = \"Party number {a} to the talks.\"\n\n[[people]]\nname = \"Person {a}\"\nrole = \"Minister of talks\"\n\
                 as_of = \"2026-03\"\nsources = [\"source-{s1}\"]\n\n[position]\nstance = \"Actor {a} wants a fair deal on water.\"\n\
                 summary = \"Actor {a} says the river must be shared and trade kept open.\"\n\
                 demands = [\"A fixed water quota\", \"Open trade routes\"]\nred_lines = [\"No foreign control of dams\"]\n\
                 signals = [\"Offered data sharing\"]\nas_of = \"2026-03-12\"\nconfidence = \"high\"\n\
                 sources = [\"source-{s1}\", \"source-{s2}\"]\n"
            );
            std::fs::write(dir.join("actors").join(format!("actor-{a}.toml")), actor)
                .expect("write");
        }
        let mut timeline = String::new();
        for e in 0..shape.events {
            let _ = write!(
                timeline,
                "[[event]]\ndate = \"{}\"\ntitle = \"Event {e}\"\ndetail = \"Delegations meet for round {e} on water and trade.\"\n\
                 actors = [\"actor-{}\", \"actor-{}\"]\nverification = \"confirmed\"\nsources = [\"source-{}\"]\n\n",
                date(e),
                e % shape.actors,
                (e + 1) % shape.actors,
                e % shape.sources
            );
        }
        std::fs::write(dir.join("timeline.toml"), timeline).expect("write");
        let mut experts = String::new();
        for x in 0..shape.experts {
            let _ = write!(
                experts,
                "[[view]]\nid = \"expert-{x}\"\nname = \"Expert {x}\"\naffiliation = \"Institute {x}\"\ndate = \"2026-03-16\"\n\
                 summary = \"A seasonal quota could satisfy both sides.\"\nquote = \"Data first.\"\nquote_source = \"source-0\"\n\
                 about = [\"actor-{}\"]\nsources = [\"source-{}\"]\n\n",
                x % shape.actors,
                x % shape.sources
            );
        }
        std::fs::write(dir.join("experts.toml"), experts).expect("write");
        files += 4 + shape.actors;
    }
    files
}
