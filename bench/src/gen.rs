//! A deterministic generator of an LDBC-SNB-style social graph: Person, Post, Comment, Tag;
//! KNOWS, HAS_CREATOR, REPLY_OF, LIKES, HAS_TAG. Degrees are skewed: per-person activity is
//! drawn from a truncated power law and targets are picked with a Zipf-like bias, so a few
//! persons, posts and tags are hubs. The same seed and size always give the same graph.
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

/// xorshift64*: small, fast, deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// A power-law draw in [min, max] with exponent `alpha` (> 1), by inverse transform.
    pub fn power_law(&mut self, min: f64, max: f64, alpha: f64) -> usize {
        let (a, b, e) = (min.powf(1.0 - alpha), max.powf(1.0 - alpha), 1.0 / (1.0 - alpha));
        (a + (b - a) * self.unit()).powf(e) as usize
    }
    /// An index in [0, n) biased towards small indexes (u^skew: skew 1 is uniform).
    pub fn skewed(&mut self, n: usize, skew: f64) -> usize {
        ((self.unit().powf(skew) * n as f64) as usize).min(n.saturating_sub(1))
    }
}

pub struct Person {
    pub name: String,
    pub age: i64,
    pub city: String,
}

pub struct Message {
    pub creator: usize,
    pub date: i64,
    pub length: i64,
    /// For comments: the post replied to.
    pub reply_of: usize,
}

/// The graph: nodes of each label have dense ids `0..n`; relationships are (from, to, date).
#[derive(Default)]
pub struct Social {
    pub persons: Vec<Person>,
    pub posts: Vec<Message>,
    pub comments: Vec<Message>,
    pub tags: Vec<String>,
    pub knows: Vec<(usize, usize, i64)>,
    pub likes: Vec<(usize, usize, i64)>,
    pub has_tag: Vec<(usize, usize)>,
}

const FIRST: [&str; 16] = [
    "Ada", "Bo", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivo", "Jun", "Kofi", "Lena", "Mia", "Nils", "Omar",
    "Priya",
];
const LAST: [&str; 12] =
    ["Smith", "Garcia", "Kim", "Okafor", "Novak", "Rossi", "Sato", "Silva", "Berg", "Khan", "Ng", "Moreau"];
const CITIES: [&str; 12] =
    ["Tokyo", "Lagos", "Lima", "Oslo", "Pune", "Cairo", "Quito", "Riga", "Seoul", "Turin", "Perth", "Dakar"];
const DAY_MS: i64 = 86_400_000;
const EPOCH_2010: i64 = 1_262_304_000_000;

impl Social {
    /// A graph of about `rels` relationships (about 76 per person, measured).
    pub fn generate(rels: usize, seed: u64) -> Social {
        let mut rng = Rng::new(seed);
        let n = (rels / 76).max(20);
        let mut g = Social::default();
        for i in 0..n {
            let name = format!("{} {}{}", FIRST[rng.below(FIRST.len())], LAST[rng.below(LAST.len())], i);
            let city = CITIES[rng.skewed(CITIES.len(), 2.0)].to_string();
            g.persons.push(Person { name, age: 18 + rng.below(60) as i64, city });
        }
        let tags = (n / 10).clamp(10, 2_000);
        g.tags = (0..tags).map(|i| format!("tag{i}")).collect();
        let date = |rng: &mut Rng| EPOCH_2010 + rng.below(3_000) as i64 * DAY_MS;
        // KNOWS: power-law out-degree (mean about 10), targets biased towards popular persons.
        let max_degree = (n / 2).max(2) as f64;
        for a in 0..n {
            let degree = rng.power_law(3.0, max_degree, 2.0);
            let mut seen = HashSet::new();
            for _ in 0..degree {
                let b = rng.skewed(n, 1.5);
                if b != a && seen.insert(b) {
                    g.knows.push((a, b, date(&mut rng)));
                }
            }
        }
        // Posts: power-law activity per person (mean about 5), each with 1-3 Zipf-biased tags.
        for creator in 0..n {
            for _ in 0..rng.power_law(1.5, 300.0, 1.9) {
                let post = g.posts.len();
                g.posts.push(Message { creator, date: date(&mut rng), length: rng.below(2_000) as i64, reply_of: 0 });
                let mut seen = HashSet::new();
                for _ in 0..1 + rng.below(3) {
                    let t = rng.skewed(tags, 3.0);
                    if seen.insert(t) {
                        g.has_tag.push((post, t));
                    }
                }
            }
        }
        // Comments (about 8 per person) reply to popular posts; likes (about 10 per person) too.
        let posts = g.posts.len();
        for creator in 0..n {
            for _ in 0..rng.power_law(2.0, 400.0, 1.9) {
                let reply_of = rng.skewed(posts, 2.0);
                g.comments.push(Message { creator, date: date(&mut rng), length: rng.below(500) as i64, reply_of });
            }
            let mut seen = HashSet::new();
            for _ in 0..rng.power_law(3.0, 500.0, 2.0) {
                let post = rng.skewed(posts, 2.0);
                if seen.insert(post) {
                    g.likes.push((creator, post, date(&mut rng)));
                }
            }
        }
        g
    }

    pub fn nodes(&self) -> usize {
        self.persons.len() + self.posts.len() + self.comments.len() + self.tags.len()
    }

    /// KNOWS + HAS_CREATOR (posts and comments) + REPLY_OF + LIKES + HAS_TAG.
    pub fn rels(&self) -> usize {
        self.knows.len() + self.posts.len() + 2 * self.comments.len() + self.likes.len() + self.has_tag.len()
    }

    /// Writes one CSV per node label and relationship table (no header), for other databases.
    pub fn write_csv(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let file = |name: &str, rows: &mut dyn Iterator<Item = String>| {
            let mut out = String::new();
            for r in rows {
                out.push_str(&r);
                out.push('\n');
            }
            std::fs::write(dir.join(name), out)
        };
        let p = &self.persons;
        file("person.csv", &mut p.iter().enumerate().map(|(i, p)| format!("{i},{},{},{}", p.name, p.age, p.city)))?;
        let msg = |(i, m): (usize, &Message)| format!("{i},{},{}", m.date, m.length);
        file("post.csv", &mut self.posts.iter().enumerate().map(msg))?;
        file("comment.csv", &mut self.comments.iter().enumerate().map(msg))?;
        file("tag.csv", &mut self.tags.iter().enumerate().map(|(i, t)| format!("{i},{t}")))?;
        let rel = |&(a, b, d): &(usize, usize, i64)| format!("{a},{b},{d}");
        file("knows.csv", &mut self.knows.iter().map(rel))?;
        file("likes.csv", &mut self.likes.iter().map(rel))?;
        file("has_tag.csv", &mut self.has_tag.iter().map(|(a, b)| format!("{a},{b}")))?;
        file("post_has_creator.csv", &mut self.posts.iter().enumerate().map(|(i, m)| format!("{i},{}", m.creator)))?;
        file(
            "comment_has_creator.csv",
            &mut self.comments.iter().enumerate().map(|(i, m)| format!("{i},{}", m.creator)),
        )?;
        let mut reply = String::new();
        for (i, m) in self.comments.iter().enumerate() {
            let _ = writeln!(reply, "{i},{}", m.reply_of);
        }
        std::fs::write(dir.join("reply_of.csv"), reply)
    }
}
