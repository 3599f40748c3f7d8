//! Organisations, job titles, places, events, tags, e-mail domains and phone number shapes.
//! Plain `const` slices; every list is non-empty.

/// Organisations. A few contain commas or double quotes, as real exports do.
#[rustfmt::skip]
pub const ORGS: &[&str] = &[
    "Brightwave Labs", "Quillstone", "Northwind Analytics", "Harlow, Finch & Co.",
    "Baker, Ng and Partners LLP", "Lumen Health", "Tidepool Robotics", "Kestrel Capital",
    "Foxglove Studio", "Atlas Freight", "Parcelbird", "Ferncliff Bank", "Orbital Foods",
    "Saltmarsh Ventures", "Mosaic Learning", "Helix & Hart", "Copperleaf Energy",
    "Studio \"Nordlicht\" GmbH", "Café \"Le Zinc\" SARL", "Fjordlys AS", "Łąka Software",
    "Wisła Data", "Müller & Söhne GmbH", "Société Lumière", "Café Olé Roasters",
    "Nguyễn & Partners", "Saigon Loom", "Kyoto Works", "Hanok Digital", "Sakura Systems KK",
    "Bangalore Byteworks", "Lagos Payments", "Kijiji Health", "Andes Agritech", "Pampas Trails",
    "University of Edinburgh", "TU Delft", "ETH Zürich", "Imperial College London",
    "Universidade de Lisboa", "NHS Lothian", "Médecins Sans Frontières", "Open Data Institute",
    "City of Amsterdam", "Greenline Transit", "Redwood Legal", "Marlow Insurance",
    "Beacon Hill Partners", "Sunday Papers", "The Ledger Review", "Kettle & Crumb",
    "Driftwood Games", "Polar Bear Pictures", "Vantage Point Research", "Cobalt Security",
    "Halcyon Bio", "Meridian Logistics", "Blue Fern Architects", "Stonebridge Capital",
    "Pinecone Childcare", "Riverstone Schools", "Ampersand Agency", "Small Batch Coffee Co.",
    "Ironbark Engineering", "Lattice Payments", "Octave Music", "Paperclip HR", "Seabright Hotels",
    "Tessellate AI", "Wayfinder Maps", "Yarrow Health", "Zephyr Aviation", "Ashgrove Foundation",
    "Bramble & Oak", "Clearwater Utilities", "Dovetail Furniture", "Elm Street Clinic",
    "Firefly Energy", "Granite Peak Advisors", "Hollow Reed Press", "Inkwell Publishing",
    "Juniper Networks Lab", "Kiln Ceramics", "Lighthouse Charity Trust", "Maple & Main Bakery",
    "Nimbus Cloud", "Oakhurst Wealth", "Plover Robotics", "Quayside Shipping", "Rook Chess Club",
    "Silverline Rail", "Thistle Dental", "Umber Film Co.", "Verdant Farms", "Willow & Wren",
    "Xylem Water Partners", "Yellowhammer Studios", "Zest Kitchens", "Arcadia Pharma",
    "Bergström Design AB", "Kowalczyk i Syn", "Osei Consulting", "Rahman Textiles",
    "Tanaka Precision", "Freelance", "Self-employed",
];

/// Job titles. A few contain commas.
#[rustfmt::skip]
pub const TITLES: &[&str] = &[
    "Software Engineer", "Senior Software Engineer", "Staff Engineer", "Principal Engineer",
    "Engineering Manager", "VP, Engineering", "CTO", "CEO", "Co-founder", "Founder & CEO",
    "Product Manager", "Senior Product Manager", "Head of Product", "Product Designer",
    "UX Researcher", "Design Lead", "Data Scientist", "Machine Learning Engineer", "Data Engineer",
    "Analyst", "Head of Growth", "Marketing Manager", "Content Strategist", "Community Manager",
    "Developer Advocate", "Sales Director", "Account Executive", "Customer Success Manager",
    "Director, Partnerships", "Partner", "Principal", "Associate", "Venture Partner",
    "General Counsel", "Paralegal", "Accountant", "CFO", "COO", "Operations Lead", "Chief of Staff",
    "Recruiter", "Talent Partner", "HR Business Partner", "Professor", "Lecturer", "PhD Candidate",
    "Postdoctoral Researcher", "Research Scientist", "Journalist", "Editor", "Freelance Writer",
    "Photographer", "Architect", "Urban Planner", "Nurse", "Physician", "Pharmacist", "Teacher",
    "Head Teacher", "Chef", "Restaurant Owner", "Consultant", "Independent Consultant",
    "Board Member", "Advisor", "Security Engineer", "Site Reliability Engineer", "Policy Advisor",
    "Program Officer",
];

/// Cities.
#[rustfmt::skip]
pub const CITIES: &[&str] = &[
    "London", "Berlin", "Lisbon", "Paris", "Amsterdam", "Dublin", "Edinburgh", "Manchester",
    "Barcelona", "Madrid", "Milan", "Rome", "Vienna", "Zürich", "Geneva", "Munich", "Hamburg",
    "Copenhagen", "Stockholm", "Oslo", "Helsinki", "Reykjavík", "Warsaw", "Kraków", "Prague",
    "Budapest", "Athens", "Istanbul", "Tel Aviv", "Dubai", "Nairobi", "Lagos", "Accra", "Cape Town",
    "Cairo", "Mumbai", "Bengaluru", "Singapore", "Ho Chi Minh City", "Hà Nội", "Tokyo", "Seoul",
    "Shanghai", "Taipei", "Sydney", "Melbourne", "Auckland", "Toronto", "Montréal", "Vancouver",
    "New York", "San Francisco", "Seattle", "Austin", "Chicago", "Boston", "Mexico City",
    "São Paulo", "Bogotá", "Buenos Aires", "Málaga", "Göteborg",
];

/// Venues: cafés, offices, bars, public places.
#[rustfmt::skip]
pub const VENUES: &[&str] = &[
    "Blue Bottle in Hayes Valley", "the Ace Hotel lobby", "the Barbican", "Factory Berlin",
    "Second Home Lisbon", "a WeWork in Soho", "Café Einstein", "Monmouth Coffee",
    "the British Library", "Tartine", "the canteen", "a noodle bar in Chinatown", "the office",
    "their place",
    "The Hoxton, Holborn", "Nørrebro Bryghus", "Café de Flore", "Time Out Market",
    "the Tate Modern café", "Prufrock Coffee", "a pub in Camden", "the park", "the climbing gym",
    "Hofbräuhaus", "Bar Termini", "Ritual Coffee", "a bakery in Kreuzberg", "the train to Paris",
    "the airport lounge", "a food hall in Lisbon", "Koffee Mameya", "Café Central, Vienna",
    "the university library", "St. John Bread & Wine", "the co-working space",
    "a ramen bar in Shibuya", "the hotel bar", "a rooftop in Tel Aviv", "the farmers' market",
    "a tapas place near Sol",
];

/// Events where people meet.
#[rustfmt::skip]
pub const EVENTS: &[&str] = &[
    "RustConf", "Web Summit", "FOSDEM", "SXSW", "Slush", "a hackathon in Berlin", "Strange Loop",
    "PyCon", "JSConf", "demo day", "Design Week", "TechCrunch Disrupt", "a climate meetup",
    "a founders' dinner", "a book launch", "the alumni reunion", "a friend's wedding",
    "a Rust meetup", "Collision", "re:publica", "KubeCon", "a local-first meetup", "NeurIPS",
    "a charity run", "Lisbon Startup Week", "Dublin Tech Summit", "a TEDx event", "VivaTech", "GDC",
    "a gallery opening", "a school fundraiser", "a supper club",
];

/// Tags, lowercase.
#[rustfmt::skip]
pub const TAGS: &[&str] = &[
    "investor", "founder", "friend", "family", "colleague", "ex-colleague", "mentor", "mentee",
    "recruiter", "journalist", "client", "vendor", "neighbour", "climbing", "running", "book-club",
    "rust", "design", "climate", "health", "fintech", "open-source", "conference", "podcast",
    "hiring", "advisor", "alumni", "university", "london", "berlin", "lisbon", "remote",
    "local-first", "security", "ai", "music", "parents", "volunteer", "follow-up", "intro",
    "speaker",
];

/// Personal e-mail providers.
#[rustfmt::skip]
pub const MAIL_DOMAINS: &[&str] = &[
    "gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com", "proton.me",
    "fastmail.com", "gmx.de", "web.de", "orange.fr", "libero.it", "hey.com", "posteo.de",
    "mail.com", "yahoo.co.uk", "naver.com", "qq.com", "seznam.cz", "wp.pl", "uol.com.br",
];

/// Top-level domains for work addresses.
#[rustfmt::skip]
pub const WORK_TLDS: &[&str] = &[
    "com", "io", "co", "org", "co.uk", "de", "fr", "eu", "dev", "net",
];

/// Phone number shapes: `#` is any digit, everything else is literal.
#[rustfmt::skip]
pub const PHONE_FORMATS: &[&str] = &[
    "+44 20 7946 0###", "+44 7700 900###", "+44 131 496 0###", "+1 212 555 01##", "+1 415 555 01##",
    "+1 617 555 01##", "+1 206 555 01##", "+49 30 #######", "+49 151 ########", "+33 1 ## ## ## ##",
    "+33 6 ## ## ## ##", "+351 21 ### ####", "+351 91 ### ####", "+48 22 ### ## ##",
    "+48 5## ### ###", "+84 28 #### ####", "+84 9# ### ## ##", "+354 5## ####", "+81 3 #### ####",
    "+82 10 #### ####", "+91 98### #####", "+61 2 #### ####", "+61 4## ### ###", "+353 1 ### ####",
    "+34 91 ### ## ##", "+39 02 #### ####", "+31 20 ### ####", "+46 8 ### ### ##",
    "+234 80# ### ####", "+254 7## ### ###", "+27 21 ### ####", "+55 11 9#### ####",
    "+52 55 #### ####", "+972 5# ### ####", "+90 212 ### ## ##", "+1 604 555 01##",
];

/// Trust levels, least to most.
pub const TRUST_LEVELS: &[&str] = &["stranger", "acquainted", "met", "worked-with", "trusted"];

/// Interaction kinds.
#[rustfmt::skip]
pub const KINDS: &[&str] = &[
    "met", "call", "message", "email", "meeting", "event", "intro", "note",
];
