//! English vocabulary for the note grammar: nouns, verbs, adjectives, adverbs and a few phrase
//! lists (topics, hobbies, food, time expressions). Plain `const` slices; every list is non-empty.

/// Countable nouns (singular). Plurals come from [`crate::text::plural`].
#[rustfmt::skip]
pub const NOUNS: &[&str] = &[
    "roadmap", "deck", "proposal", "contract", "budget", "prototype", "launch", "demo", "workshop",
    "offsite", "pitch", "draft", "report", "spreadsheet", "dashboard", "migration", "release",
    "feature", "bug", "customer", "client", "partner", "investor", "board", "team", "hire",
    "candidate", "role", "interview", "offer", "project", "pilot", "grant", "paper", "book",
    "article", "podcast", "newsletter", "talk", "panel", "conference", "meetup", "dinner", "trip",
    "flight", "apartment", "house", "garden", "bike", "car", "studio", "office", "lab", "startup",
    "company", "agency", "vendor", "supplier", "invoice", "deadline", "milestone", "sprint",
    "retro", "audit", "plan", "strategy", "experiment", "survey", "hypothesis", "metric", "model",
    "dataset", "pipeline", "server", "cluster", "database", "API", "app", "website", "repo",
    "library", "framework", "plugin", "integration", "workflow", "process", "policy", "playbook",
    "template", "checklist", "brief", "memo", "thread", "question", "idea", "concern", "risk",
    "problem", "opportunity", "decision", "trade-off", "constraint", "assumption", "estimate",
    "forecast", "quote", "price", "discount", "renewal", "signup", "trial", "subscription",
    "campaign", "brand", "logo", "storefront", "warehouse", "shipment", "order", "recipe", "menu",
    "course", "class", "degree", "thesis", "scholarship", "fellowship", "residency", "sabbatical",
    "promotion", "reorg", "acquisition", "merger", "round", "valuation", "term sheet", "cap table",
    "handbook", "spec", "diagram", "mockup", "wireframe", "story", "essay", "album", "exhibition",
    "festival", "marathon", "hike", "wedding", "birthday", "holiday", "commute", "visa", "lease",
    "mortgage", "renovation", "kitchen", "side project", "community", "committee", "roadshow",
    "newsroom", "clinic", "ward", "classroom", "curriculum", "harvest", "vineyard", "bakery",
    "restaurant", "franchise", "patent", "lawsuit", "settlement", "tender", "bid", "benchmark",
    "outage", "incident", "postmortem", "rollout", "codebase", "compiler", "notebook", "chart",
    "slide", "keynote", "workshop series", "internship", "apprenticeship", "studio visit",
    "gallery", "portfolio", "prize", "agenda", "allowance", "analysis", "appointment", "argument",
    "badge", "banner", "basket", "blog post", "bonus", "booth", "branch", "bridge", "brochure",
    "bucket", "bundle", "cabinet", "calendar", "camera", "campus", "canvas", "catalogue",
    "certificate", "chapter", "charity", "checkpoint", "circle", "coalition", "column", "comment",
    "contractor", "cookbook", "coupon", "crate", "crisis", "cycle", "deal", "desk", "device",
    "dialogue", "dinner party", "dispute", "document", "domain", "donation", "drawing", "engine",
    "episode", "event", "exam", "factory", "fee", "fence", "ferry", "field trip", "file", "filter",
    "fleet", "folder", "form", "forum", "fridge", "fundraiser", "game", "gift", "goal", "guide",
    "habit", "headline", "hotel", "index", "insight", "invitation", "island", "issue", "jacket",
    "journal", "kit", "label", "ladder", "landing page", "laptop", "lecture", "ledger", "letter",
    "licence", "list", "loan", "machine", "manual", "map", "market", "mission", "module", "monitor",
    "mural", "museum", "network", "novel", "offer letter", "opening", "option", "outline",
    "package", "painting", "pamphlet", "parcel", "parking spot", "passport", "pattern", "payment",
    "performance", "permit", "petition", "phone", "photo", "piano", "picnic", "pitch deck",
    "playlist", "plot", "poster", "profile", "program", "puzzle", "queue", "quiz", "receipt",
    "recording", "referral", "rehearsal", "reminder", "rental", "request", "reservation", "CV",
    "ritual", "robot", "routine", "sample", "schedule", "scheme", "score", "script", "seminar",
    "sensor", "session", "shift", "shortlist", "signal", "sketch", "slot", "snapshot", "song",
    "speech", "sponsor", "stall", "statement", "station", "sticker", "strike", "subsidy",
    "suitcase", "summary", "summit", "symposium", "tablet", "tagline", "target", "task",
    "tax return", "teaser", "tent", "ticket", "timeline", "toast", "tool", "tour", "tournament",
    "trailer", "transcript", "trophy", "truck", "tutorial", "update", "upgrade", "van", "venue",
    "video", "village", "voucher", "wallet", "webinar", "whiteboard", "widget", "window",
    "worksheet", "zine",
];

/// Verbs as (base, past, gerund). Phrasal verbs conjugate their first word.
pub const VERBS: &[(&str, &str, &str)] = &[
    ("ship", "shipped", "shipping"),
    ("build", "built", "building"),
    ("write", "wrote", "writing"),
    ("review", "reviewed", "reviewing"),
    ("plan", "planned", "planning"),
    ("launch", "launched", "launching"),
    ("test", "tested", "testing"),
    ("rewrite", "rewrote", "rewriting"),
    ("pitch", "pitched", "pitching"),
    ("sell", "sold", "selling"),
    ("buy", "bought", "buying"),
    ("hire", "hired", "hiring"),
    ("fund", "funded", "funding"),
    ("scale", "scaled", "scaling"),
    ("fix", "fixed", "fixing"),
    ("design", "designed", "designing"),
    ("redesign", "redesigned", "redesigning"),
    ("migrate", "migrated", "migrating"),
    ("debug", "debugged", "debugging"),
    ("document", "documented", "documenting"),
    ("share", "shared", "sharing"),
    ("send", "sent", "sending"),
    ("read", "read", "reading"),
    ("finish", "finished", "finishing"),
    ("start", "started", "starting"),
    ("run", "ran", "running"),
    ("lead", "led", "leading"),
    ("manage", "managed", "managing"),
    ("organise", "organised", "organising"),
    ("host", "hosted", "hosting"),
    ("sponsor", "sponsored", "sponsoring"),
    ("publish", "published", "publishing"),
    ("present", "presented", "presenting"),
    ("record", "recorded", "recording"),
    ("edit", "edited", "editing"),
    ("translate", "translated", "translating"),
    ("negotiate", "negotiated", "negotiating"),
    ("sign", "signed", "signing"),
    ("cancel", "cancelled", "cancelling"),
    ("postpone", "postponed", "postponing"),
    ("renew", "renewed", "renewing"),
    ("prototype", "prototyped", "prototyping"),
    ("benchmark", "benchmarked", "benchmarking"),
    ("open-source", "open-sourced", "open-sourcing"),
    ("deploy", "deployed", "deploying"),
    ("automate", "automated", "automating"),
    ("simplify", "simplified", "simplifying"),
    ("measure", "measured", "measuring"),
    ("rethink", "rethought", "rethinking"),
    ("restructure", "restructured", "restructuring"),
    ("mentor", "mentored", "mentoring"),
    ("coach", "coached", "coaching"),
    ("teach", "taught", "teaching"),
    ("study", "studied", "studying"),
    ("explore", "explored", "exploring"),
    ("compare", "compared", "comparing"),
    ("evaluate", "evaluated", "evaluating"),
    ("track", "tracked", "tracking"),
    ("sketch", "sketched", "sketching"),
    ("cook", "cooked", "cooking"),
    ("bake", "baked", "baking"),
    ("visit", "visited", "visiting"),
    ("pivot", "pivoted", "pivoting"),
    ("spin up", "spun up", "spinning up"),
    ("wind down", "wound down", "winding down"),
    ("set up", "set up", "setting up"),
    ("turn down", "turned down", "turning down"),
    ("take over", "took over", "taking over"),
    ("hand off", "handed off", "handing off"),
    ("chase", "chased", "chasing"),
    ("untangle", "untangled", "untangling"),
    ("refactor", "refactored", "refactoring"),
    ("outsource", "outsourced", "outsourcing"),
    ("raise", "raised", "raising"),
    ("close", "closed", "closing"),
    ("announce", "announced", "announcing"),
    ("delay", "delayed", "delaying"),
    ("scope", "scoped", "scoping"),
    ("draft", "drafted", "drafting"),
    ("polish", "polished", "polishing"),
    ("rename", "renamed", "renaming"),
    ("find", "found", "finding"),
    ("lose", "lost", "losing"),
    ("win", "won", "winning"),
    ("grow", "grew", "growing"),
    ("cut", "cut", "cutting"),
    ("choose", "chose", "choosing"),
    ("drop", "dropped", "dropping"),
    ("split", "split", "splitting"),
    ("merge", "merged", "merging"),
    ("swap", "swapped", "swapping"),
    ("approve", "approved", "approving"),
    ("reject", "rejected", "rejecting"),
    ("audit", "audited", "auditing"),
    ("restart", "restarted", "restarting"),
    ("attend", "attended", "attending"),
    ("borrow", "borrowed", "borrowing"),
    ("bring", "brought", "bringing"),
    ("catch", "caught", "catching"),
    ("clean up", "cleaned up", "cleaning up"),
    ("collect", "collected", "collecting"),
    ("confirm", "confirmed", "confirming"),
    ("copy", "copied", "copying"),
    ("cover", "covered", "covering"),
    ("deliver", "delivered", "delivering"),
    ("describe", "described", "describing"),
    ("discuss", "discussed", "discussing"),
    ("explain", "explained", "explaining"),
    ("fill in", "filled in", "filling in"),
    ("follow", "followed", "following"),
    ("forget", "forgot", "forgetting"),
    ("forward", "forwarded", "forwarding"),
    ("frame", "framed", "framing"),
    ("gather", "gathered", "gathering"),
    ("handle", "handled", "handling"),
    ("ignore", "ignored", "ignoring"),
    ("install", "installed", "installing"),
    ("invite", "invited", "inviting"),
    ("join", "joined", "joining"),
    ("keep", "kept", "keeping"),
    ("label", "labelled", "labelling"),
    ("leave", "left", "leaving"),
    ("lend", "lent", "lending"),
    ("mention", "mentioned", "mentioning"),
    ("miss", "missed", "missing"),
    ("mix", "mixed", "mixing"),
    ("notice", "noticed", "noticing"),
    ("offer", "offered", "offering"),
    ("order", "ordered", "ordering"),
    ("pack", "packed", "packing"),
    ("paint", "painted", "painting"),
    ("pay for", "paid for", "paying for"),
    ("pick", "picked", "picking"),
    ("plant", "planted", "planting"),
    ("print", "printed", "printing"),
    ("protect", "protected", "protecting"),
    ("question", "questioned", "questioning"),
    ("rank", "ranked", "ranking"),
    ("recommend", "recommended", "recommending"),
    ("repair", "repaired", "repairing"),
    ("replace", "replaced", "replacing"),
    ("rescue", "rescued", "rescuing"),
    ("research", "researched", "researching"),
    ("reserve", "reserved", "reserving"),
    ("return", "returned", "returning"),
    ("save", "saved", "saving"),
    ("schedule", "scheduled", "scheduling"),
    ("search", "searched", "searching"),
    ("shape", "shaped", "shaping"),
    ("sort out", "sorted out", "sorting out"),
    ("stretch", "stretched", "stretching"),
    ("support", "supported", "supporting"),
    ("trim", "trimmed", "trimming"),
    ("update", "updated", "updating"),
    ("upload", "uploaded", "uploading"),
    ("watch", "watched", "watching"),
    ("wrap up", "wrapped up", "wrapping up"),
    ("sell off", "sold off", "selling off"),
    ("steal", "stole", "stealing"),
    ("drive", "drove", "driving"),
];

/// Adjectives, for people and for things.
#[rustfmt::skip]
pub const ADJECTIVES: &[&str] = &[
    "ambitious", "careful", "curious", "generous", "sharp", "thoughtful", "pragmatic", "blunt",
    "funny", "quiet", "calm", "busy", "tired", "excited", "nervous", "optimistic", "sceptical",
    "candid", "warm", "direct", "patient", "stubborn", "relaxed", "stretched", "overloaded",
    "upbeat", "frustrated", "hopeful", "cautious", "brilliant", "chaotic", "messy", "solid",
    "shaky", "promising", "risky", "expensive", "cheap", "slow", "fast", "huge", "tiny", "new",
    "old", "early", "late", "complicated", "simple", "boring", "exciting", "weird", "clever",
    "elegant", "clunky", "brittle", "robust", "urgent", "overdue", "vague", "concrete", "realistic",
    "half-finished", "well-run", "underfunded", "oversubscribed", "remote", "hybrid", "local",
    "international", "seasonal", "quarterly", "internal", "informal", "formal", "awkward",
    "friendly", "productive", "useful", "pointless", "surprising", "predictable", "unusual",
    "familiar", "honest", "polished", "rough", "lovely", "great", "decent", "mediocre",
    "impressive", "modest", "noisy", "crowded", "lively", "tense", "open", "quick", "long", "short",
    "delayed", "cautious-sounding", "bold", "underrated", "overrated", "ugly", "beautiful",
    "fragile", "dull", "tidy", "heavy", "light", "odd", "fair", "unfair", "angry", "anxious",
    "bright", "broken", "casual", "cheerful", "chilly", "clear", "clumsy", "cosy", "crisp", "dark",
    "deep", "dense", "dry", "dusty", "eager", "easy", "empty", "exhausted", "faint", "fancy",
    "fierce", "flat", "fresh", "full", "gentle", "gloomy", "glossy", "grand", "grim", "grumpy",
    "handy", "happy", "hard", "harsh", "healthy", "hectic", "hidden", "hollow", "humble", "hungry",
    "icy", "idle", "jolly", "keen", "kind", "lazy", "lean", "loose", "loud", "low", "lucky", "mild",
    "minor", "moody", "narrow", "neat", "nice", "obvious", "plain", "pleasant", "polite", "poor",
    "proud", "pure", "rare", "raw", "ready", "rich", "rigid", "rowdy", "rude", "rusty", "sad",
    "safe", "scary", "secret", "shiny", "shy", "silly", "sleek", "sleepy", "smooth", "soft", "sour",
    "spare", "steady", "steep", "sticky", "stiff", "strange", "strict", "strong", "subtle",
    "sudden", "sweet", "swift", "thick", "thin", "tight", "tough", "tricky", "vast", "vivid",
    "wary", "weak", "wide", "wild", "wise", "witty", "wrong", "young", "bespoke", "granular",
    "scrappy", "bumpy", "glacial", "legendary", "niche", "mainstream", "patchy", "seamless",
    "tedious", "timely", "unclear", "volatile", "second-hand", "last-minute", "long-term",
    "short-term", "open-ended",
];

/// Adverbs.
#[rustfmt::skip]
pub const ADVERBS: &[&str] = &[
    "quickly", "slowly", "carefully", "finally", "quietly", "openly", "honestly", "probably",
    "clearly", "mostly", "barely", "nearly", "suddenly", "eventually", "reluctantly", "happily",
    "gladly", "briefly", "roughly", "deliberately", "politely", "frankly", "genuinely",
    "surprisingly", "oddly", "predictably", "already", "recently", "apparently", "definitely",
    "basically", "somehow", "partly", "fully", "gently", "loudly", "calmly", "proudly", "nervously",
    "really", "cheerfully", "firmly", "freely", "kindly", "lazily", "neatly", "patiently",
    "promptly", "rarely", "safely", "seriously", "sharply", "simply", "smoothly", "softly",
    "swiftly", "tactfully", "typically", "vaguely", "warmly", "wisely", "casually", "bluntly",
    "cleverly", "awkwardly",
];

/// Conversation topics (noun phrases).
#[rustfmt::skip]
pub const TOPICS: &[&str] = &[
    "pricing", "hiring", "fundraising", "the Series A", "the seed round", "remote work", "burnout",
    "climate tech", "carbon accounting", "developer tools", "open-source licensing",
    "Rust adoption", "the rewrite in Rust", "Kubernetes costs", "LLM evaluation", "data privacy",
    "GDPR", "accessibility", "design systems", "onboarding", "churn", "customer interviews",
    "the board meeting", "the reorg", "layoffs", "parental leave", "school admissions",
    "the housing market", "moving abroad", "visa paperwork", "sourdough", "the podcast",
    "community building", "conference planning", "quarterly planning", "OKRs", "the sales pipeline",
    "enterprise deals", "procurement", "security reviews", "SOC 2", "the incident last month",
    "on-call", "observability", "the mobile app", "local-first software", "CRDTs", "sync conflicts",
    "battery life", "supply chains", "the warehouse move", "retail margins", "wine", "farming",
    "cycling", "photography", "ceramics", "jazz", "football", "the World Cup", "the election",
    "city politics", "public transport", "urban planning", "healthcare", "mental health",
    "nutrition", "grant writing", "the PhD", "teaching", "the bootcamp", "career changes",
    "management", "first-time managers", "equity", "taxes", "real estate", "interior design",
    "parenting", "elder care", "volunteering", "mentoring", "impostor syndrome", "translation work",
    "publishing", "journalism", "film", "architecture", "robotics", "biotech", "drug discovery",
    "fintech", "payments", "insurance", "logistics", "edtech", "gaming", "music production",
    "four-day weeks", "hybrid offices", "unions", "AI regulation", "energy prices", "rents in {c}",
    "the move to {c}", "the {c} office", "the {n} at {org}", "{h}", "Postgres tuning",
    "the summer party", "the school run", "childcare", "sleep", "their health", "the new manager",
    "salary bands", "performance reviews", "promotions", "the hiring freeze", "contract renewals",
    "the merger", "the IPO rumours", "open data", "the grant deadline", "peer review",
    "the book deal", "the album", "art school", "the wedding plans", "dog training",
    "the allotment", "solar panels", "heat pumps", "e-bikes", "the commute", "train strikes",
    "the budget cuts", "board dynamics", "co-founder conflict", "the pivot", "go-to-market",
    "developer relations", "SEO", "content strategy", "the rebrand", "typography", "3D printing",
    "drones", "satellites", "quantum computing", "cybersecurity", "passkeys", "password managers",
    "end-to-end encryption", "the {yr} reunion", "{lang} lessons", "tax season", "pensions",
    "index funds",
];

/// Hobbies and pastimes.
#[rustfmt::skip]
pub const HOBBIES: &[&str] = &[
    "bouldering", "sourdough baking", "trail running", "sailing", "birdwatching", "pottery",
    "chess", "jazz piano", "woodworking", "gardening", "beekeeping", "salsa dancing", "surfing",
    "film photography", "knitting", "open-water swimming", "rowing", "fencing", "board games",
    "calligraphy", "watercolour", "astronomy", "fly fishing", "kite surfing", "yoga", "judo",
    "choir", "amateur theatre", "stand-up comedy", "homebrewing", "mushroom foraging",
    "restoring old bikes", "cross-country skiing", "padel", "cricket", "rugby", "volleyball",
    "tennis", "crosswords", "birding",
];

/// Food and drink, article included where English wants one.
#[rustfmt::skip]
pub const FOODS: &[&str] = &[
    "ramen", "pho", "a flat white", "espresso", "an oat latte", "green tea", "matcha",
    "pastéis de nata", "croissants", "dim sum", "tacos", "a burger", "falafel", "shakshuka",
    "pierogi", "bibimbap", "pad thai", "a club sandwich", "pizza", "risotto", "a kebab",
    "fish and chips", "sushi", "injera", "jollof rice", "a cinnamon bun", "kimchi stew", "bánh mì",
    "mint tea", "a negroni", "craft beer", "natural wine", "sparkling water",
];

/// Family members and companions (used after a possessive).
#[rustfmt::skip]
pub const FAMILY: &[&str] = &[
    "daughter", "son", "partner", "wife", "husband", "mum", "dad", "brother", "sister", "kids",
    "twins", "dog", "cat", "grandmother", "niece", "nephew", "flatmate", "cousin", "in-laws",
    "toddler", "stepdaughter", "godson",
];

/// Ways to reach someone.
#[rustfmt::skip]
pub const CHANNELS: &[&str] = &[
    "email", "Signal", "WhatsApp", "Slack", "Telegram", "text", "LinkedIn", "the phone", "iMessage",
    "Discord", "voice notes", "Mastodon",
];

/// Job roles, plural.
#[rustfmt::skip]
pub const ROLES: &[&str] = &[
    "engineers", "designers", "data scientists", "product managers", "recruiters", "nurses",
    "teachers", "analysts", "sales reps", "writers", "researchers", "interns", "contractors",
    "translators", "accountants", "chefs", "drivers", "editors", "lawyers", "support agents",
];

/// Fields of study.
#[rustfmt::skip]
pub const FIELDS: &[&str] = &[
    "computer science", "economics", "architecture", "medicine", "law", "physics", "history",
    "design", "linguistics", "chemistry", "philosophy", "mathematics", "music", "nursing",
];

/// Languages.
#[rustfmt::skip]
pub const LANGUAGES: &[&str] = &[
    "Portuguese", "German", "Polish", "Vietnamese", "Japanese", "Spanish", "French", "Icelandic",
    "Arabic", "Hindi", "Korean", "Italian", "Swahili", "Mandarin", "Turkish",
];

/// Future time expressions (may contain slots).
#[rustfmt::skip]
pub const WHEN_FUTURE: &[&str] = &[
    "next week", "next month", "on Monday", "on Thursday", "after the holidays", "in two weeks",
    "early next month", "before the offsite", "by end of Q3", "in the spring", "after the launch",
    "when {S} {be} back", "this weekend", "tomorrow", "on Friday", "in a few weeks",
    "once the contract is signed", "before {mo}", "in {mo}", "after {d}",
];

/// Past time expressions (may contain slots).
#[rustfmt::skip]
pub const WHEN_PAST: &[&str] = &[
    "last week", "yesterday", "last month", "a few weeks ago", "over the summer", "in {mo}",
    "back in {yr}", "at the weekend", "last {d}", "on {d}", "two days ago", "before Christmas",
    "during the conference", "earlier today", "this morning",
];

/// Month names.
#[rustfmt::skip]
pub const MONTHS: &[&str] = &[
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
];

/// Three-letter month abbreviations, as LinkedIn prints them.
#[rustfmt::skip]
pub const MONTH_ABBR: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Weekdays.
#[rustfmt::skip]
pub const WEEKDAYS: &[&str] = &[
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
];

/// Small numbers, as words or digits.
#[rustfmt::skip]
pub const SMALL_NUMBERS: &[&str] = &[
    "two", "three", "four", "five", "six", "seven", "eight", "ten", "twelve", "2", "3", "4", "5",
    "6", "9", "11", "15",
];
