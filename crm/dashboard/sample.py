"""What the data generator draws people, places and events from: varied names (accents and
apostrophes included), fictional addresses and 555-01xx phone numbers, so that generated
histories look like a real organisation's without being anybody's."""

FIRST = ["Ada", "Ben", "Cara", "Devon", "Emma", "Finn", "Gia", "Hugo", "Iris", "Jonah", "Kai",
         "Lea", "Max", "Nia", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor",
         "Wes", "Zoë", "José", "María", "Chloé", "Aisha", "Mohammed", "Priya", "Li", "Ngozi",
         "Siobhán", "Mateo", "Fatima", "Yuki", "Dmitri", "Renée", "Olivia", "Noah", "Grace",
         "Elijah", "Hannah", "Lucas", "Maya", "Ethan", "Sofia", "Daniel"]  # fmt: skip
LAST = ["Smith", "Jones", "García", "Brown", "Nguyen", "Patel", "Khan", "Silva", "Cohen",
        "Moore", "López", "Clark", "Young", "King", "Wright", "Hill", "Green", "Baker", "Reed",
        "Ward", "O'Connor", "Núñez", "Müller", "Okafor", "Dupré", "Kowalski", "Haddad",
        "Johnson", "Rossi", "Tanaka", "Williams", "Martinez", "Anderson", "Thompson", "Lee",
        "Walker", "Hall", "Allen", "Scott", "Adams"]  # fmt: skip
EMAIL_DOMAINS = ["example.org", "example.com", "example.net"]
STREETS = ["Elm St", "Oak Ave", "Maple Dr", "Cedar Ln", "Main St", "Lincoln Rd", "Park Ave",
           "Washington St", "Lake Shore Dr", "Church St", "School Rd", "Mill Creek Way",
           ]  # fmt: skip
# (city, region, postcode)
PLACES = [("Springfield", "IL", "62701"), ("Springfield", "IL", "62704"),
          ("Chicago", "IL", "60614"), ("Chicago", "IL", "60640"), ("Peoria", "IL", "61602"),
          ("Naperville", "IL", "60540"), ("Champaign", "IL", "61820"),
          ("Decatur", "IL", "62521"), ("Bloomington", "IL", "61701"),
          ("Evanston", "IL", "60201")]  # fmt: skip
AREA_CODES = ["217", "312", "309", "630", "773", "847"]
# Where events are held: (name, street address, city)
VENUES = [("Lincoln High School", "100 School Rd", "Springfield"),
          ("Grace Community Church", "12 Church St", "Springfield"),
          ("Peoria Public Library", "107 NE Monroe St", "Peoria"),
          ("Acme Logistics", "400 Industrial Pkwy", "Decatur"),
          ("Washington Middle School", "2300 Washington St", "Champaign"),
          ("Evanston Civic Center", "2100 Ridge Ave", "Evanston"),
          ("St. Mark's Parish Hall", "9 Oak Ave", "Naperville"),
          ("Lakeview Community Center", "3200 N Broadway", "Chicago")]  # fmt: skip
# What kind of organisation asks for a training from each venue (OrganisationType values).
VENUE_TYPES = {"Lincoln High School": "school", "Grace Community Church": "faith_group",
               "Peoria Public Library": "community", "Acme Logistics": "business",
               "Washington Middle School": "school", "Evanston Civic Center": "agency",
               "St. Mark's Parish Hall": "faith_group",
               "Lakeview Community Center": "community"}  # fmt: skip
# Event type -> the audiences it is for (students are only ever counted, never registered).
EVENT_TYPES = {
    "School presentation": ["students"],
    "Parent training": ["parents"],
    "Educator training": ["educators"],
    "Employer training": ["employers"],
    "Community awareness night": ["community", "parents"],
    "Faith leaders training": ["faith_leaders"],
}
# Which trainings each kind of organisation asks for.
ASKED_BY = {
    "school": ["School presentation", "Educator training", "Parent training"],
    "faith_group": ["Faith leaders training", "Parent training", "Community awareness night"],
    "business": ["Employer training"],
    "community": ["Community awareness night", "Parent training"],
    "agency": ["Community awareness night", "Educator training"],
}
