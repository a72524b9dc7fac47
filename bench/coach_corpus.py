"""Resolved asks for the coach bench: varied everyday text on known topics, and which evaluation
asks (bench/matching_eval.py) are about which topic.

Each topic is written several ways (the spellings people use, synonyms included, so "k8s" and
"Kubernetes" asks are one topic) with its own details, inside shared sentence shapes and shared
complaint words, so topic words compete with words every topic uses.
"""

from __future__ import annotations

import random


def _split(listed: str) -> list[str]:
    """A "|"-separated list (shorter to read and edit than a list literal)."""
    return listed.split("|")


# topic → (ways it is written, details people ask about), each "|"-separated. Off-roster topics
# (laptops, parking, Kafka...) are here too: the evaluation's asks nobody offered still have
# answers in a history.
_TOPICS: dict[str, tuple[str, str]] = {
    "postgres": (
        "Postgres|PostgreSQL|pg|psql|our Postgres cluster|the pg primary",
        "replication lag|vacuum|slow query|connection pool|index bloat|read replica|deadlock"
        "|backup restore|password rotation|major upgrade",
    ),
    "docker": (
        "Docker|docker compose|the Docker image|Dockerfile|our containers",
        "image size|layer caching|multi-stage build|volume permissions|compose file|base image"
        "|registry push|build cache",
    ),
    "react": (
        "React|React.js|reactjs|our React app|the React frontend",
        "state resets|useEffect|hooks|re-renders|context provider|server components|form state"
        "|router navigation",
    ),
    "css": (
        "CSS|our stylesheet|the CSS|Sass styles",
        "grid layout|flexbox|Safari rendering|media queries|z-index|dark mode colours"
        "|font loading|sticky header",
    ),
    "pandas": (
        "pandas|a pandas dataframe|the dataframe",
        "groupby|NaN values|merge|pivot table|memory usage|datetime index|read_csv|apply",
    ),
    "python": (
        "Python|python3|our Python service|the py script",
        "packaging|wheels|virtualenv|type hints|asyncio|dependency pins|import errors"
        "|pytest fixtures",
    ),
    "terraform": (
        "Terraform|tf|our Terraform modules|the terraform plan",
        "state lock|remote state|provider upgrade|drift|workspaces|modules"
        "|import existing resources|plan output",
    ),
    "aws": (
        "AWS|Amazon Web Services|our AWS account|the AWS console",
        "IAM policy|S3 bucket|Lambda cold starts|cost explorer|EC2 instances|CloudFront"
        "|VPC peering|RDS snapshots",
    ),
    "networking": (
        "the VPN|our network|the office network|DNS|the firewall",
        "connection drops|DNS resolution|firewall rules|latency|subnet|split tunnel|MTU"
        "|proxy settings",
    ),
    "accessibility": (
        "accessibility|a11y|screen readers|our accessibility audit",
        "screen reader|focus order|contrast|aria labels|keyboard navigation|modal title|alt text"
        "|WCAG",
    ),
    "oauth": (
        "OAuth|OAuth2|our OAuth flow|the OAuth provider",
        "refresh tokens|scopes|PKCE|redirect URI|token expiry|consent screen|client secret"
        "|id token",
    ),
    "security": (
        "security|infosec|appsec|the security team",
        "security review|vendor questionnaire|penetration test|upload endpoint|secrets scanning"
        "|CVE|threat model|SOC 2",
    ),
    "excel": (
        "Excel|the spreadsheet|a spreadsheet|our Excel model",
        "formula|VLOOKUP|pivot|split names|conditional formatting|macros|named ranges|charts",
    ),
    "finance": (
        "finance|the finance team|accounting",
        "approval flow|invoice|purchase order|vendor payment|quarter close|cost center"
        "|reimbursement|forecast",
    ),
    "sql": (
        "SQL|a SQL query|our SQL report",
        "window functions|joins|CTE|group by|subquery|query plan|null handling|date truncation",
    ),
    "git": (
        "git|our git repo|the git history",
        "rebase|lost commit|merge conflict|cherry-pick|force push|submodules|bisect|reflog",
    ),
    "swift": (
        "Swift|iOS|the iOS app|Xcode",
        "concurrency warnings|SwiftUI|Xcode update|provisioning profile|async await|memory graph"
        "|TestFlight build|Core Data",
    ),
    "observability": (
        "Grafana|our dashboards|observability|Prometheus|the metrics",
        "empty dashboards|alert rules|tracing|log retention|cardinality|SLO burn rate"
        "|scrape config|missing metrics",
    ),
    "kubernetes": (
        "Kubernetes|k8s|kube|our k8s cluster|the Kubernetes cluster",
        "pods restarting|ingress|autoscaler|CrashLoopBackOff|node pool|resource limits|namespaces"
        "|liveness probe",
    ),
    "helm": (
        "Helm|the Helm chart|helm charts|our Helm release",
        "values file|chart review|release rollback|chart dependencies|staging chart"
        "|template rendering",
    ),
    "typescript": (
        "TypeScript|ts|our TypeScript code|the TS types",
        "generics|strict mode|type narrowing|declaration files|enums|tsconfig paths|union types",
    ),
    "machine learning": (
        "machine learning|ML|our ML model|the machine learning pipeline|AI",
        "churn prediction|feature store|feature drift|model training|support tickets|embeddings"
        "|model evaluation|labelled data",
    ),
    "ci/cd": (
        "CI|CI/CD|the CI pipeline|continuous integration|our deploy pipeline",
        "pipeline config|slow builds|wrong branch deploys|flaky runners|build cache"
        "|deploy approvals|pipeline takes 40 minutes",
    ),
    "javascript": (
        "JavaScript|JS|our JS bundle|the frontend JavaScript",
        "date parsing|time zones|bundler|promises|event loop|source maps|ES modules",
    ),
    "node": (
        "Node|Node.js|nodejs|our Node service|the node API",
        "memory leak|API server|logging library|npm install|event emitter|worker threads|streams",
    ),
    "database migrations": (
        "a database migration|our migrations|the schema migration|Alembic",
        "rename a column|locks the users table|backfill|zero downtime|rollback|migration order",
    ),
    "design system": (
        "the design system|design systems|our component library|Figma",
        "design tokens|button spacing|components|icon set|colour palette|typography scale",
    ),
    "a/b testing": (
        "A/B testing|our A/B test|the experiment|split testing",
        "sample size|ended early|statistical significance|pricing page test|novelty effect"
        "|guardrail metrics",
    ),
    "incident response": (
        "incident response|the incident|our incident process|the pager",
        "checklist|postmortem|pager went off|severity levels|status page|incident commander",
    ),
    "on call": (
        "on-call|the on-call rotation|oncall|my on-call shift",
        "swap shift|handover|escalation policy|pager fatigue|rota|compensation",
    ),
    "product management": (
        "product management|the product team|our PM process",
        "quarter priorities|frameworks|prioritisation|discovery|OKRs|stakeholder updates",
    ),
    "mobile releases": (
        "mobile releases|the app store release|our mobile release train",
        "release cadence|store review|phased rollout|release notes|hotfix|version numbers",
    ),
    "user research": (
        "user research|customer interviews|our research sessions",
        "recruiting participants|interview script|B2B admin tool|usability test|synthesis"
        "|research repository",
    ),
    "code review": (
        "code review|a review of my PR|our code reviews",
        "review checklist|first Go service|review turnaround|large diffs|nitpicks|approval rules",
    ),
    "data science": (
        "data science|the data team|our analytics",
        "churn numbers|cohort analysis|dashboards for retention|notebooks|metric definitions"
        "|forecast model",
    ),
    "unit testing": (
        "unit tests|unit testing|our test suite|the tests",
        "mocking the clock|fixtures|coverage|flaky tests|test doubles|property based tests",
    ),
    "budget": (
        "budgets|the budget|budgeting|our team budget",
        "board meeting|headcount plan|software spend|travel budget|variance|next year plan",
    ),
    "hiring": (
        "hiring|interviews|interviewing|our hiring loop",
        "senior engineers|take-home task|interview panel|scorecards|job description|offer approval",
    ),
    "roadmap": (
        "the roadmap|roadmaps|our roadmap",
        "slipping dates|quarterly planning|dependencies|commitments|public roadmap|now next later",
    ),
    "statistics": (
        "statistics|stats|the statistics",
        "median or mean|latency percentiles|confidence interval|outliers|regression|sampling bias",
    ),
    "onboarding": (
        "onboarding|new hire onboarding|the onboarding plan",
        "first week|new hires|buddy system|laptop setup|onboarding emails"
        "|checklist for April starters",
    ),
    "go": (
        "Go|Golang|our Go service|the golang CLI",
        "goroutines|small CLI|error wrapping|go modules|context cancellation|generics",
    ),
    "laptops": (
        "laptops|a new laptop|my laptop|the MacBook",
        "ordering|won't boot|replacement|warranty|battery|IT ticket",
    ),
    "demo": (
        "the Friday demo|demo day|the team demo",
        "who runs|slots|recording|agenda|presenting",
    ),
    "parking": (
        "parking|parking passes|the car park",
        "permits|visitor parking|bike storage|EV charging",
    ),
    "office": (
        "the office|the Berlin office|our office",
        "opening hours|holiday closure|desk booking|keys|heating",
    ),
    "meeting rooms": (
        "a meeting room|meeting rooms|the big room",
        "booking|video setup|calendar resource|room display",
    ),
    "lunch": (
        "lunch|a lunch place|team lunch",
        "recommendations near the office|vegetarian options|catering|budget per head",
    ),
    "expenses": (
        "expenses|the expense policy|expense reports",
        "conference travel|receipts|per diem|hotel limits|mileage",
    ),
    "shared drive": (
        "the shared drive|Google Drive|the team drive",
        "access|permissions|folder structure|storage quota",
    ),
    "time off": (
        "time off|vacation|PTO|holiday requests",
        "request process|carry over days|public holidays|approval in March",
    ),
    "newsletter": (
        "the company newsletter|the newsletter|internal newsletter",
        "who owns|submission deadline|template|mailing list",
    ),
    "customer escalation": (
        "a customer escalation|escalations|an angry customer",
        "manager involvement|response template|support handover|refund",
    ),
    "all-hands": (
        "the all-hands|all hands|the town hall",
        "remote attendance|questions|recording|agenda",
    ),
    "social": (
        "the Friday social|team social|the summer party",
        "volunteers|budget|venue|games",
    ),
    "brand": (
        "brand fonts|the brand guidelines|our logo files",
        "font licence|colour codes|slide template|logo usage",
    ),
    "graphql": (
        "GraphQL|our GraphQL API|the GraphQL gateway",
        "schema stitching|resolvers|N+1 queries|federation|persisted queries",
    ),
    "kafka": (
        "Kafka|the Kafka cluster|our Kafka topics",
        "consumer lag|partitions|rebalancing|retention|exactly once",
    ),
    "redis": (
        "Redis|the Redis cache|our Redis instance",
        "eviction policy|session cache|memory limit|persistence|cluster mode",
    ),
    "salesforce": (
        "Salesforce|the Salesforce report|our CRM",
        "groups by region|dashboards|field permissions|data export|workflows",
    ),
}
TOPICS = {t: (_split(w), _split(d)) for t, (w, d) in _TOPICS.items()}

_SHAPES = [
    "{S}: {d} {p}",
    "How do I {v} {d} in {s}?",
    "Anyone seen {d} with {s}? {p}",
    "{S} {d} {p} since {day}",
    "Question about {s} and {d}",
    "Best way to {v} {d} for {s}?",
    "{D} on {s} {p}, tried the runbook",
    "Who knows {s} well? {D} {p}",
    "{D} {p}. Is this a {s} thing?",
    "Need a second pair of eyes on {s}: {d}",
]
_PROBLEMS = _split(
    "keeps failing|is slow|broke after the upgrade|times out|behaves oddly|throws an error|"
    "stopped working|is out of date|needs a review|is confusing the whole team|"
    "works locally but not in staging|got worse this week"
)
_VERBS = ["set up", "debug", "speed up", "clean up", "move", "monitor", "automate", "document"]
_DAYS = ["Monday", "Tuesday", "yesterday", "last week", "the release", "the holidays"]

# The evaluation asks of bench/matching_eval.py and the topic(s) a resolved ask must be on to
# answer them; () when no topic in the history is what they are about.
LABELS: dict[str, tuple[str, ...]] = {
    "Postgres query is slow after the upgrade #postgres": ("postgres",),
    "Docker image is 3GB, how to slim it? #docker": ("docker",),
    "React state resets when I navigate #react": ("react",),
    "CSS grid layout breaks on Safari #css": ("css",),
    "Pandas groupby returns NaN #pandas": ("pandas",),
    "Python packaging: wheels vs sdists #python": ("python",),
    "Terraform state lock stuck #terraform": ("terraform",),
    "AWS IAM policy for S3 read only #aws": ("aws",),
    "VPN to the office keeps dropping #networking": ("networking",),
    "Is our signup form accessible to screen readers? #accessibility": ("accessibility",),
    "OAuth refresh tokens expire too early #oauth": ("oauth",),
    "Security review for the new upload endpoint #security": ("security",),
    "Excel formula to split names #excel": ("excel",),
    "Finance approval flow for travel #finance": ("finance",),
    "SQL window functions explained? #sql": ("sql",),
    "Rebase went wrong and I lost a commit #git": ("git",),
    "Swift concurrency warnings after Xcode update #swift": ("swift",),
    "Our Grafana dashboards are empty since Monday #observability": ("observability",),
    "Our k8s pods keep restarting #k8s": ("kubernetes",),
    "TypeScript generics question #ts": ("typescript",),
    "Which ML model for churn prediction? #ml": ("machine learning",),
    "CI pipeline takes 40 minutes, ideas? #ci": ("ci/cd",),
    "JavaScript date parsing across time zones #js": ("javascript",),
    "Memory leak in our API server #nodejs": ("node",),
    "Vacuum never finishes on the events table #pg": ("postgres",),
    "Screen reader skips the modal title #a11y": ("accessibility",),
    "How do I write a migration that renames a column? #database-migrations": (
        "database migrations",
    ),
    "Feature store for churn scores #machine-learning": ("machine learning",),
    "Python notebook for model features #python #machine-learning": ("python", "machine learning"),
    "Button spacing differs between apps #design-system": ("design system",),
    "Who can look at my pipeline config? #ci-cd": ("ci/cd",),
    "Experiment ended early, is the result valid? #a-b-testing": ("a/b testing",),
    "Pager went off three times last night #incident_response": ("incident response",),
    "Swap my on-call shift next week? #on-call": ("on call",),
    "Sample size for the pricing page test #ab-testing": ("a/b testing",),
    "Planning next quarter's priorities #product-management": ("product management",),
    "Shipping the app to the store on Thursday #mobile-releases": ("mobile releases",),
    "Booking customer interviews for the new flow #user_research": ("user research",),
    "How do I train a machine learning model on our support tickets?": ("machine learning",),
    "Is machine learning overkill for routing support emails?": ("machine learning",),
    "We need someone to sanity check our design system tokens": ("design system",),
    "Could someone do a code review of my first Go service?": ("code review", "go"),
    "Looking for help with a database migration that locks the users table": (
        "database migrations",
    ),
    "Anyone with data science experience free to look at our churn numbers?": ("data science",),
    "What does a good incident response checklist look like?": ("incident response",),
    "How do we run A/B testing on the onboarding emails?": ("a/b testing",),
    "Any tips on user research for a B2B admin tool?": ("user research",),
    "How often should we do mobile releases?": ("mobile releases",),
    "Writing unit tests for a function that calls the clock": ("unit testing",),
    "Does anyone know product management frameworks for a two person team?": (
        "product management",
    ),
    "Our CI/CD pipeline deploys the wrong branch": ("ci/cd",),
    "Helm charts for the staging cluster are out of date": ("helm",),
    "Who can help me read these budgets before the board meeting?": ("budget",),
    "Tips for interviews with senior engineers?": ("hiring",),
    "Our roadmap keeps slipping, how do others keep it honest?": ("roadmap",),
    "Kubernetes ingress with terraform #kubernetes #terraform": ("kubernetes", "terraform"),
    "Postgres on kubernetes with helm #postgres #kubernetes": ("postgres", "kubernetes", "helm"),
    "React accessibility audit #react #accessibility": ("react", "accessibility"),
    "Figma components for the new design systems": ("design system",),
    "Docker compose file for local dev with postgres": ("docker", "postgres"),
    "Statistics question: is the median or the mean right for latency?": ("statistics",),
    "Security questions from a customer's vendor questionnaire": ("security",),
    "Need a Helm chart review before Friday": ("helm",),
    "Postgres replication lag on the read replica": ("postgres",),
    "How do I rotate the staging DB password? Tried the runbook, step 3 fails #postgres": (
        "postgres",
    ),
    "Our K8s cluster autoscaler is not scaling down": ("kubernetes",),
    "The ML team needs a second opinion on feature drift": ("machine learning",),
    "Which JS bundler should a small internal tool use?": ("javascript",),
    "Migrating our nodejs service to the new logging library": ("node",),
    "Golang or python for a small CLI?": ("go", "python"),
    "Reviewing the onboarding plan for two new hires starting in April": ("onboarding",),
    "Where do we order new laptops?": ("laptops",),
    "Who runs the Friday demo?": ("demo",),
    "Hey, quick question, anyone know who I should ask about this? Need it asap, thanks!": (),
    "Tried everything, still stuck, any ideas? Need by tomorrow EOD": (),
    "Can someone help me with the step 3 of the runbook please?": (),
    "Who do I talk to about parking passes?": ("parking",),
    "Is the office open on Monday after the holiday?": ("office",),
    "How do I book a meeting room for Thursday?": ("meeting rooms",),
    "Any recommendations for a lunch place near the office?": ("lunch",),
    "Where is the expense policy for conference travel?": ("expenses",),
    "How do I get access to the shared drive?": ("shared drive",),
    "Help! My laptop won't boot after the update, please advise": ("laptops",),
    "What is the process to request time off in March?": ("time off",),
    "Who owns the company newsletter?": ("newsletter",),
    "How should I react when a customer escalates to my manager?": ("customer escalation",),
    "Is it ok to go to the all-hands remotely?": ("all-hands",),
    "We need a volunteer to run the Friday social": ("social",),
    "Where can I find the brand fonts?": ("brand",),
    "Anyone know GraphQL schema stitching?": ("graphql",),
    "Kafka consumer lag keeps growing": ("kafka",),
    "Redis eviction policy for a session cache": ("redis",),
    "Salesforce report that groups by region": ("salesforce",),
}


def ask_text(rng: random.Random) -> tuple[str, str]:
    """One resolved ask as someone would have typed it, and the topic it is about."""
    topic = rng.choice(list(TOPICS))
    spellings, details = TOPICS[topic]
    subject, detail = rng.choice(spellings), rng.choice(details)
    text = rng.choice(_SHAPES).format(
        s=subject,
        S=subject[:1].upper() + subject[1:],
        d=detail,
        D=detail[:1].upper() + detail[1:],
        p=rng.choice(_PROBLEMS),
        v=rng.choice(_VERBS),
        day=rng.choice(_DAYS),
    )
    if rng.random() < 0.3:
        text += f" ({rng.choice(details)} too)"
    if rng.random() < 0.15:
        # Context from another topic: its words appear in asks that are not about it.
        other = TOPICS[rng.choice(list(TOPICS))][0]
        text += f" We use {rng.choice(other)} for this."
    return text, topic
