"""What the demo's customers write: comments by what went wrong (or right).

``{agent}`` is replaced by the agent's first name.
"""

from __future__ import annotations

PRAISE = (
    "{agent} was fantastic, patient and clear. Sorted in minutes.",
    "Really helpful! {agent} explained everything and followed up the next day.",
    "Thank you {agent}, you went above and beyond.",
    "Quick, friendly and knew exactly what to do. Great service.",
    "{agent} took the time to understand my problem. Much appreciated.",
    "Best support experience I've had in a long time.",
    "Solved on the first call, and {agent} even showed me a shortcut.",
    "Very professional and kind. Thanks for the help!",
    "Clear instructions, no jargon. 10/10.",
    "I was frustrated when I called, {agent} calmed me down and fixed it.",
)
RUDE = (
    "{agent} was rude and made me feel stupid for asking.",
    "The agent was dismissive and kept cutting me off.",
    "{agent} clearly didn't want to help. Condescending tone the whole time.",
    "Felt like I was bothering {agent}. Short answers and no empathy at all.",
    "Unprofessional. {agent} told me to 'just read the FAQ' and ended the chat.",
    "The person I spoke to was impatient and sarcastic.",
    "{agent} hung up on me before the problem was solved.",
)
UNHELPFUL = (
    "The agent didn't seem to understand the problem.",
    "Got a copy-paste answer that had nothing to do with my question.",
    "I was told it was fixed but it wasn't.",
    "Nobody took ownership, I was passed around three times.",
)
SLOW = (
    "Took four days to get a reply. Far too slow.",
    "Waited ages for an answer, the fix itself was quick.",
    "It took way too long to resolve something this simple.",
    "Slow response. I had to chase twice before anyone answered.",
    "On hold for 40 minutes before anyone picked up.",
)
REOPENED = (
    "Had to contact you again because the first fix didn't work.",
    "This is the third time I'm reporting the same issue.",
    "The problem came back the next day and I had to open a new ticket.",
)
BILLING = (
    "I was charged twice this month and still waiting for the refund.",
    "The refund takes 10 business days? That's ridiculous.",
    "Your invoices are confusing, I can't tell what I'm paying for.",
    "Price went up without any notice.",
    "Cancelling my subscription shouldn't require a phone call.",
)
PROCESS = (
    "I had to repeat my whole story to every new person.",
    "Why do I need to verify my identity three times for a simple question?",
    "The chat bot kept looping before I could reach a human.",
    "Your policy doesn't allow exchanges after 14 days, which is too strict.",
)
PRODUCT_BUGS = {
    "login": "The password reset email never arrives, had to get support to do it.",
    "sync": "Sync still loses my latest changes sometimes.",
    "api": "Your API rate limits are too low for a normal integration.",
}
EXPORT_BUG = (
    "The mobile app crashes every time I export a report to PDF.",
    "PDF export crashes the app on my phone. Support had no fix yet.",
    "Export to PDF is broken since the last update, the app just closes.",
    "App keeps crashing on export, I need these reports for work!",
    "Agent was nice but the crash when exporting PDFs is still there.",
)
MIXED = (
    "{agent} was nice but it took too long overall.",
    "Problem solved in the end, though I had to explain it twice.",
    "Friendly agent, but the product really should just work.",
    "Okay experience. Not great, not bad.",
    "Fine, but the wait on the phone was long.",
)
NEUTRAL = (
    "Thanks.",
    "ok",
    "Issue resolved.",
    "No further comments.",
)
