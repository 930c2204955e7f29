"""The words a leader may not know, explained once: every tooltip of the dashboard reads from here."""

LOCK_TIP = ("A locked account stays with its owner whatever the balance says. Accounts are locked by the "
            "Locked column of the Accounts file, by this ARR threshold, or by a pin.")
HOLD_TIP = ("Accounts of at least this ARR are held for review: no rep gets them until you pick one in the "
            "review queue on the Slicer page. They count in no book, target or score meanwhile.")
CAP_TIP = ("The most accounts (or ARR) a rep may hold. A rep's own Max_Accounts or Max_ARR in the Reps file "
           "wins over these defaults. Only locks can take a rep over a cap.")
PIN_TIP = "A pin locks an account to the rep you chose: it goes there first, whatever the balance says."
RAMP_TIP = ("A new hire ramping at 50% gets half a full book's targets, is measured on its book scaled to a "
            "full one, and is never suggested for a held account.")
MODE_TIP = ("Redraw assigns every account afresh with the weighted greedy (owners count only as a bonus). "
            "Rebalance keeps today's books and finds the fewest transfers that bring every rep within a band "
            "of its target, and proves how few suffice.")
BAND_TIP = ("A rep is in band when its total on every chosen driver lies within ± this percentage of its "
            "target (its share of the segment, scaled by its ramp). 15% is a common policy.")
WEIGHTS_TIP = ("Each rep has a target share of the segment's ARR, accounts and high-risk ARR. Its need is how far "
               "it is below each target; the weights blend the three needs into one, and the neediest rep "
               "(after bonuses) gets the next account, biggest ARR first.")
GEO_TIP = ("Added to the blended need of a rep whose Location matches the account's (+5% = 0.05), so a nearby "
           "rep wins a close call. Locations match as written, ignoring case.")
PRESERVE_TIP = ("Added to the blended need of the account's current owner (Original_Rep), so a close call keeps "
                "the relationship where it is.")
HIGH_RISK_TIP = "An account with a Risk_Score at or above this counts as high-risk: its ARR is high-risk ARR."
OPTIMIZE_TIP = ("Tries all 5,151 weight triples (101 without Risk_Score) at this threshold and recommends the one "
                "with the best Overall Balanced score. Nothing changes until you press Apply.")
TARGET_TIP = ("How far this rep's book is from its target (the rep's even share of the segment, scaled by "
              "ramp), in % of the target: +12.0% is 12% above. Within ±15% is the usual fairness band.")
MIN_GAIN_TIP = ("A move or swap is made only when it raises the segment's score by at least this many points, so "
                "every change can be defended: 0.02 stops trading two near-equal accounts for nothing. In a "
                "segment of more than 1,000 accounts the bar shrinks in proportion (one account weighs less).")
