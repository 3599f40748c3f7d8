//! Personal names of varied origins, including non-ASCII ones. First names contain no spaces
//! (the LinkedIn export splits a full name at its first space); last names may.

/// Given names.
#[rustfmt::skip]
pub const FIRST_NAMES: &[&str] = &[
    // English-speaking
    "James", "Mary", "Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Sophia", "Mason",
    "Isabella", "Lucas", "Mia", "Oliver", "Charlotte", "Amelia", "Harper", "Benjamin", "Evelyn",
    "Henry", "Abigail", "Samuel", "Grace", "Daniel", "Chloe", "Matthew", "Lily", "Jack", "Hannah",
    "Owen", "Nora", "Caleb", "Ruby", "Isaac", "Claire", "Adam", "Megan", "Ryan", "Laura", "Kevin",
    "Rachel", "Alex", "Sam", "Jordan",
    // French
    "Zoë", "Chloé", "Élodie", "Héloïse", "Jérôme", "François", "Amélie", "Léa", "Théo", "Benoît",
    "Margaux", "Céline", "Gaëlle", "Noël",
    // German, Dutch, Nordic
    "Jürgen", "Jörg", "Lena", "Maximilian", "Anja", "Lukas", "Greta", "Ulrike", "Friedrich",
    "Björn", "Sigríður", "Guðrún", "Einar", "Søren", "Ingrid", "Mikkel", "Freja", "Henrik",
    "Sólveig", "Þóra", "Åsa", "Sanne", "Joris",
    // Central and Eastern European
    "Łukasz", "Małgorzata", "Wojciech", "Agnieszka", "Paweł", "Zofia", "Bartosz", "Katarzyna",
    "Jiří", "Tomáš", "Milena", "Dragan", "Ivana", "Nikola", "Anastasia", "Dmitri", "Olga",
    "Yevgenia", "Zsófia", "Bence", "Réka", "Oksana",
    // Iberian and Latin American
    "José", "María", "Lucía", "Alejandro", "Sofía", "Mateo", "Valentina", "Joaquín", "Inés",
    "Rodrigo", "Camila", "João", "Gonçalo", "Beatriz", "Ximena", "Itzel", "Santiago",
    // Italian, Greek
    "Giulia", "Matteo", "Francesca", "Lorenzo", "Chiara", "Niccolò", "Alessandro", "Eleni", "Nikos",
    "Dimitra", "Yannis",
    // Vietnamese, Chinese, Japanese, Korean
    "Minh", "Thảo", "Huy", "Linh", "Quang", "Ngọc", "Trang", "Dũng", "Wei", "Jing", "Xiaoming",
    "Mei", "Yuxin", "Hao", "Zhen", "Lan", "Haruto", "Yuki", "Sakura", "Ren", "Aiko", "Takeshi",
    "Hiroshi", "Emi", "Ji-woo", "Min-jun", "Seo-yeon", "Hyun", "Soo-jin",
    // South Asian
    "Priya", "Arjun", "Ananya", "Rohan", "Aditi", "Vikram", "Kavya", "Rahul", "Deepa", "Sanjay",
    "Lakshmi", "Nikhil",
    // Middle Eastern, Turkish, Persian
    "Omar", "Fatima", "Layla", "Yusuf", "Amir", "Noor", "Karim", "Hana", "Tariq", "Zainab", "Leila",
    "Dariush", "Shirin", "Mehmet", "Ayşe", "Elif", "Emre", "Çağla",
    // African
    "Chidi", "Amara", "Kwame", "Ngozi", "Tendai", "Zanele", "Thabo", "Adaeze", "Kofi", "Wanjiru",
    "Abebe", "Nia",
    // Hebrew, Irish, Welsh, Scottish
    "Yael", "Noa", "Eitan", "Tamar", "Avi", "Siobhán", "Aoife", "Niamh", "Cillian", "Eoin", "Rhys",
    "Gwen", "Ailsa", "Seán",
    // Pacific, Filipino and others
    "Aroha", "Tāne", "Maricel", "Jomar", "Keoni", "Malia",
];

/// Family names.
#[rustfmt::skip]
pub const LAST_NAMES: &[&str] = &[
    // English-speaking
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark",
    "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams",
    "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner",
    "Parker", "Collins", "Edwards", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan",
    "Cooper", "Reed", "Bailey", "Bell", "Kelly", "Howard", "Ward", "Richardson", "Wood", "Watson",
    "Brooks", "Bennett", "Gray", "Hughes", "Price", "Foster", "O'Brien", "O'Connor", "McCarthy",
    "MacLeod", "Fitzgerald", "Ní Bhriain",
    // Iberian and Latin American
    "García", "Martínez", "Rodríguez", "López", "Hernández", "González", "Pérez", "Sánchez",
    "Ramírez", "Torres", "Flores", "Díaz", "Gómez", "Ortiz", "Muñoz", "Álvarez", "Jiménez",
    "Castillo", "Núñez", "Fernández", "García-Márquez", "Silva", "Santos", "Oliveira", "Gonçalves",
    "Araújo", "Magalhães", "Reyes", "Cruz", "Bautista", "dela Cruz",
    // Italian
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "De Luca",
    // German, French
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schäfer",
    "Koch", "Groß", "Köhler", "Hoffmann", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard",
    "Bonnet", "Rousseau", "Fontaine", "Chevalier", "Bérénger",
    // Central and Eastern European
    "Kowalski", "Nowak", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński",
    "Szymańska", "Dąbrowski", "Kozłowski", "Jankowska", "Novák", "Dvořák", "Svoboda", "Horváth",
    "Nagy", "Kovačević", "Petrović", "Jovanović", "Ivanov", "Smirnova", "Kuznetsov", "Popov",
    "Volkova", "Sokolov", "Shevchenko", "Kovalenko",
    // Vietnamese, Chinese, Japanese, Korean
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Wang", "Li", "Zhang",
    "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Lin", "Guo", "Sato",
    "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Yamamoto", "Nakamura", "Kobayashi", "Itō", "Kim",
    "Park", "Choi", "Jung", "Kang", "Yoon",
    // South Asian
    "Patel", "Sharma", "Singh", "Kumar", "Gupta", "Iyer", "Reddy", "Nair", "Chatterjee", "Mehta",
    "Desai", "Banerjee",
    // Middle Eastern, Turkish, Persian
    "Khan", "Ahmed", "Hussain", "Haddad", "Nasser", "Khoury", "Mansour", "Hosseini", "Rahimi",
    "Yılmaz", "Kaya", "Demir", "Öztürk", "Şahin",
    // African
    "Okafor", "Adeyemi", "Mensah", "Owusu", "Nkosi", "Dlamini", "Mwangi", "Otieno", "Tesfaye",
    "Diallo", "Traoré", "Okonkwo",
    // Hebrew
    "Cohen", "Levi", "Mizrahi", "Friedman",
    // Nordic, Finnish, Greek, Dutch, Flemish
    "Ólafsdóttir", "Jónsson", "Sigurðsson", "Guðmundsdóttir", "Halvorsen", "Johansson", "Lindqvist",
    "Nyström", "Andersen", "Sørensen", "Virtanen", "Mäkinen", "Korhonen", "Papadopoulos",
    "Georgiou", "Nikolaidis", "van der Berg", "de Vries", "Jansen", "Bakker", "Visser", "Janssens",
    "Peeters",
    // Pacific
    "Kealoha", "Ngata", "Te Whare",
];

/// Suffixes used (after middle initials) to keep every full name unique.
pub const NAME_SUFFIXES: &[&str] = &["Jr.", "Sr.", "II", "III", "IV"];
