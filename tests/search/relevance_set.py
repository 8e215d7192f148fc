"""A relevance set over the imported Participedia methods (../shared/corpus/participedia/
methods_full_export.csv with marketplace/knowledge/mappings/participedia-methods.json).

Written before any tuning, from the entries' own descriptions: each query is how a person who
has not read the entry might ask for it, and `expected` lists the titles (as imported, trimmed)
that answer it — a hit on any of them counts. Reusable: other tests import RELEVANCE_SET,
CORPUS_FILE and MAPPING from here.

Kinds of query (`kind`):
- paraphrase: a description in the asker's words, often 4-8 words, not all of them in the entry
- plural: another inflection than the title's
- misspelling: typed wrong (the engine may answer with a correction or with partial matches)
- french / spanish: the asker's own language (the entries quote a few French and Spanish words)
- dotted: names with dots, hyphens or apostrophes (domains, "e-voting", "Robert's")
- partial: only part of the words are in the entry, or a prefix of a word
"""

from pathlib import Path
from typing import NamedTuple

CORPUS_FILE = "participedia/methods_full_export.csv"
MAPPING = (Path(__file__).resolve().parents[2]
           / "marketplace/knowledge/mappings/participedia-methods.json")


class Case(NamedTuple):
    query: str
    expected: tuple[str, ...]
    kind: str


PB = ("Participatory Budgeting", "Yanjin Model of Participatory Budgeting",
      "Nepalese Participatory Budgeting and Planning", "Citizen Budget")

RELEVANCE_SET: tuple[Case, ...] = (
    # --- paraphrases --------------------------------------------------------------------------
    Case("citizens decide how to spend the city budget", PB, "paraphrase"),
    Case("anonymous questionnaire rounds with experts to reach consensus",
         ("Delphi Method", "Deliberative Delphi"), "paraphrase"),
    Case("theatre where the audience steps in to change the story", ("Forum Theatre",),
         "paraphrase"),
    Case("randomly selected citizens deliberate and give recommendations",
         ("Citizens’ Assembly", "Citizens' Jury", "Planning Cells", "Citizens' Reference Panel",
          "Citizen Conferences"), "paraphrase"),
    Case("choosing people by lot for public office",
         ("Sortition", "Civic Lottery", "Demarchy", "Multi-Body Sortition"), "paraphrase"),
    Case("website to start a petition and collect signatures", ("Change.org", "Petition"),
         "paraphrase"),
    Case("giving your vote to someone you trust to vote for you",
         ("Liquid Democracy", "Delegated Voting"), "paraphrase"),
    Case("participants vote on ideas by sticking dots", ("Dotmocracy",), "paraphrase"),
    Case("several conversations at small tables of a café", ("The World Café",
                                                             "Conversation Cafés"), "paraphrase"),
    Case("a loosely structured event where participants create their own agenda",
         ("Open Space Technology",), "paraphrase"),
    Case("observers watching elections to check the laws are followed",
         ("Election Monitoring",), "paraphrase"),
    Case("build on the strengths and assets a community already has",
         ("Asset-Based Community Development",), "paraphrase"),
    Case("employees stop work to pressure their employer", ("Strike", "Picketing"),
         "paraphrase"),
    Case("citizens propose legislation that is put to a popular vote",
         ("Initiative Process", "Washington State Initiative Process", "Referendum",
          "European Citizens' Initiative", "Finnish Citizen's Initiative"), "paraphrase"),
    Case("solve problems by building models with toy bricks", ("LEGO® SERIOUS PLAY®",),
         "paraphrase"),
    Case("look at an issue from different points of view with hats",
         ("Six Thinking Hats®",), "paraphrase"),
    Case("every resident receives money to give to local candidates",
         ("Seattle Democracy Vouchers Program",), "paraphrase"),
    Case("members of the public monitor and evaluate government programs",
         ("Social Auditing", "Community Auditing", "Community Scorecards"), "paraphrase"),
    Case("dialogue between victims and perpetrators after violence",
         ("Truth and Reconciliation Commissions (TRCs)", "Palava Hut System",
          "Restorative Justice"), "paraphrase"),
    Case("survey on a map where residents mark places",
         ("PARTIMAP participatory map-based surveying tool", "Maptionnaire", "MapTalk",
          "Carticipe/Debatomap"), "paraphrase"),
    Case("raising money for a project from a large number of people", ("Crowdfunding",),
         "paraphrase"),
    # --- plurals and other inflections -----------------------------------------------------------
    Case("citizens juries", ("Citizens' Jury",), "plural"),
    Case("focus groups", ("Focus Group",), "plural"),
    Case("hackathons", ("Hackathon",), "plural"),
    Case("protests", ("Protest",), "plural"),
    Case("referendums", ("Referendum", "Deliberative Referendum"), "plural"),
    Case("surveys", ("Survey", "Public Consultation Survey", "Involved Survey"), "plural"),
    Case("deliberative forums", ("Deliberative Forum",), "plural"),
    # --- misspellings --------------------------------------------------------------------------
    Case("deliberativ poling", ("Deliberative Polling®",), "misspelling"),
    Case("open spase technology", ("Open Space Technology",), "misspelling"),
    Case("participatery budgetting", PB, "misspelling"),
    Case("sociocrasy", ("Sociocracy",), "misspelling"),
    Case("charette", ("Charrette",), "misspelling"),
    Case("crowdsorcing", ("Crowdsourcing",), "misspelling"),
    # --- French and Spanish --------------------------------------------------------------------
    Case("budget participatif", PB, "french"),
    Case("parlement et citoyens", ("Parlement & Citoyens",), "french"),
    Case("conseils de quartier à Québec", ("Québec City Neighbourhood Councils",), "french"),
    Case("presupuesto participativo", PB, "spanish"),
    Case("cabildo abierto", ("Cabildo Abierto",), "spanish"),
    Case("bogota te escucha", ("Bogotá te Escucha",), "spanish"),
    Case("plataforma de integración ciudadana Costa Rica",
         ("Citizen Integration Platform (PIC), Costa Rica",), "spanish"),
    # --- names with dots, hyphens, apostrophes ---------------------------------------------------
    Case("Change.org", ("Change.org",), "dotted"),
    Case("AskThem.io", ("AskThem.io: Open-Source Online Platform to Connect Citizens and Representatives",),
         "dotted"),
    Case("Rahvaalgatus.ee", ("Rahvaalgatus.ee",), "dotted"),
    Case("Noddr.de", ("Noddr.de",), "dotted"),
    Case("x.piratar.is", ("x.piratar.is",), "dotted"),
    Case("queremosdatos.co", ('Queremosdatos.co ("We Want Data") Platform',), "dotted"),
    Case("e-voting", ("Online Voting",), "dotted"),
    Case("Robert's rules", ("Robert's Rules of Order",), "dotted"),
    Case("co-design", ("Co-design",), "dotted"),
    # --- partial matches -----------------------------------------------------------------------
    Case("world cafe hosting", ("The World Café",), "partial"),
    Case("sortition lottery assembly athens", ("Sortition",), "partial"),
    Case("kgotla botswana tribal assembly chiefs", ("Kgotla (Botswana Public Assembly)",),
         "partial"),
    Case("gram sabha village assembly india", ("Gram Sabha", "Grama Sabhas in Kerala"), "partial"),
    Case("delphi", ("Delphi Method", "Deliberative Delphi"), "partial"),
    Case("polis machine learning consensus", ("Polis",), "partial"),
    Case("sociocra*", ("Sociocracy",), "partial"),
)

assert len(RELEVANCE_SET) >= 40
