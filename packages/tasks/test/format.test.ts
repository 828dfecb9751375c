// Every task's formatted strings, read from official-format fixtures, checked character by
// character against what T5's preprocessors (task prefix dropped) produce for the same record.
import { describe, expect, it } from "vitest";
import { getTask, joinFields, loadSplit, padPunctuation, removeFirstTextToken, stringJoin } from "../src/index.ts";
import { fixture } from "./fixtures.ts";

describe("SuperGLUE formatting (official JSONL)", () => {
  it("BoolQ: sorted keys passage, question; False|True; <unk> for test", async () => {
    const val = await loadSplit("boolq", fixture("superglue", "BoolQ"), "validation");
    expect(val).toEqual([
      {
        id: "0",
        input:
          "passage: Windows Movie Maker -- Windows Movie Maker (formerly known as Windows Live Movie Maker in Windows 7) is a discontinued video editing software by Microsoft. question: is windows movie maker part of windows essentials",
        target: "True",
        label: "True",
      },
      {
        id: "1",
        input:
          "passage: Powdered sugar -- Powdered sugar, also called confectioners' sugar, is a finely ground sugar. question: is confectionary sugar the same as powdered sugar",
        target: "False",
        label: "False",
      },
    ]);
    const test = await loadSplit("boolq", fixture("superglue", "BoolQ"), "test");
    expect(test).toEqual([
      {
        id: "0",
        input: "passage: Sun -- The Sun is the star at the center of the Solar System. question: is the sun a star",
        target: "<unk>",
      },
    ]);
  });

  it("CB: hypothesis before premise; string labels", async () => {
    const val = await loadSplit("cb", fixture("superglue", "CB"), "validation");
    expect(val.map((e) => [e.input, e.target])).toEqual([
      ["hypothesis: the language was complex premise: It was a complex language. Not written down but handed down.", "entailment"],
      ["hypothesis: she said she would come premise: She never said she would come.", "contradiction"],
      ["hypothesis: he left premise: I don't know if he left.", "neutral"],
    ]);
  });

  it("COPA: choice1 choice2 premise question; integer label -> choice1|choice2", async () => {
    const val = await loadSplit("copa", fixture("superglue", "COPA"), "validation");
    expect(val.map((e) => [e.input, e.target])).toEqual([
      [
        "choice1: The toilet filled with water. choice2: Water flowed from the spout. premise: The man turned on the faucet. question: effect",
        "choice2",
      ],
      ["choice1: The sun was rising. choice2: The grass was cut. premise: My body cast a shadow over the grass. question: cause", "choice1"],
    ]);
  });

  it("MultiRC: one example per answer, question/answer/paragraph order, HTML stripped, grouped by question", async () => {
    const val = await loadSplit("multirc", fixture("superglue", "MultiRC"), "validation");
    const paragraph = "paragraph: Sent 1: Alice went home. Sent 2: She ate soup. ";
    expect(val).toEqual([
      { id: "0-0-0", group: "0-0", input: `question: Where did Alice go? answer: Home ${paragraph}`, target: "True", label: "True" },
      { id: "0-0-1", group: "0-0", input: `question: Where did Alice go? answer: School ${paragraph}`, target: "False", label: "False" },
      { id: "0-1-2", group: "0-1", input: `question: What did she eat? answer: Soup ${paragraph}`, target: "True", label: "True" },
    ]);
  });

  it("ReCoRD: one example per unique answer, sorted unique entities, @highlight as sentence breaks", async () => {
    const val = await loadSplit("record", fixture("superglue", "ReCoRD"), "validation");
    const input0 =
      "query: @placeholder won the race entities: Bob Smith, Paris, Smith passage: Bob Smith won the race in Paris. Smith was fast. Paris cheered";
    // Entity offsets count code points (Python), so the emoji before "Ann" must not shift them.
    const input1 = "query: Ann met @placeholder entities: Ann, Bo, Rome passage: \u{1F600} Ann met Bo in Rome.";
    expect(val).toEqual([
      { id: "0-0-0", group: "0-0", input: input0, target: "Bob Smith", answers: ["Bob Smith", "Smith"] },
      { id: "0-0-1", group: "0-0", input: input0, target: "Smith", answers: ["Bob Smith", "Smith"] },
      { id: "1-1-0", group: "1-1", input: input1, target: "Bo", answers: ["Bo"] },
    ]);
    const test = await loadSplit("record", fixture("superglue", "ReCoRD"), "test");
    expect(test).toEqual([
      {
        id: "0-0-0",
        group: "0-0",
        input: "query: @placeholder met Bo entities: Ann, Bo, Rome passage: \u{1F600} Ann met Bo in Rome.",
        target: "<unk>",
        answers: [],
      },
    ]);
  });

  it("RTE and WiC", async () => {
    const rte = await loadSplit("rte", fixture("superglue", "RTE"), "validation");
    expect(rte.map((e) => [e.input, e.target])).toEqual([
      [
        "hypothesis: Christopher Reeve had an accident. premise: Dana Reeve, the widow of the actor Christopher Reeve, has died of lung cancer at age 44.",
        "not_entailment",
      ],
      ["hypothesis: Antibiotics are losing effectiveness. premise: Yet, we now are discovering that antibiotics are losing their effectiveness.", "entailment"],
    ]);
    const wic = await loadSplit("wic", fixture("superglue", "WiC"), "validation");
    expect(wic).toEqual([
      {
        id: "0",
        input:
          "sentence1: Do you want to come over to my place later? sentence2: A political system with no place for the less prominent groups. word: place",
        target: "False",
        label: "False",
      },
    ]);
  });

  it("WSC: pronoun marked, referent as target, train keeps correct referents only, wsc.fixed repairs", async () => {
    const val = await loadSplit("wsc", fixture("superglue", "WSC"), "validation");
    const marked = "Mark told Pete many lies about himself, which Pete included in his book. *He* should have been more truthful.";
    expect(val).toEqual([
      { id: "0", input: marked, target: "Mark", label: "True" },
      { id: "1", input: marked, target: "Pete", label: "False" },
      // span1_text "the trophy." is not in the text: _fix_wst recapitalises and strips the period.
      { id: "2", input: "The trophy doesn't fit into the brown suitcase because *it* is too large.", target: "The trophy", label: "True" },
    ]);
    const train = await loadSplit("wsc", fixture("superglue", "WSC"), "train");
    expect(train.map((e) => e.id)).toEqual(["0", "2"]);
  });
});

describe("GLUE formatting (official TSV)", () => {
  it("MRPC: BOM-prefixed header, quotes kept verbatim, test without labels", async () => {
    const dev = await loadSplit("mrpc", fixture("glue", "MRPC"), "validation");
    expect(dev).toEqual([
      {
        id: "0",
        input:
          "sentence1: He said the foodservice pie business doesn 't fit the company 's long-term growth strategy . sentence2: \" The foodservice pie business does not fit our long-term growth strategy .",
        target: "equivalent",
        label: "equivalent",
      },
      {
        id: "1",
        input:
          'sentence1: Magnarelli said Racicot hated the Iraqi regime and looked forward to using his long years of training in the war . sentence2: His wife said he was " 100 percent behind George Bush " and looked forward to using his years of training in the war .',
        target: "not_equivalent",
        label: "not_equivalent",
      },
    ]);
    const test = await loadSplit("mrpc", fixture("glue", "MRPC"), "test");
    expect(test[0]!.target).toBe("<unk>");
    expect(test[0]!.label).toBeUndefined();
    expect(test[0]!.input.startsWith("sentence1: PCCW 's chief operating officer")).toBe(true);
  });

  it("QQP (CRLF line ends) and SST-2 (trailing space kept)", async () => {
    const qqp = await loadSplit("qqp", fixture("glue", "QQP"), "validation");
    expect(qqp.map((e) => [e.id, e.input, e.target])).toEqual([
      ["201359", "question1: Why are African-Americans so beautiful? question2: Why are hispanics so beautiful?", "not_duplicate"],
      [
        "263843",
        "question1: I want to pursue PhD in Computer Science about social network,what is the open problem in social networks? question2: I handle social media for a non-profit. Should I start going to social media networking events? Are there any good ones in the bay area?",
        "duplicate",
      ],
    ]);
    const sst = await loadSplit("sst-2", fixture("glue", "SST-2"), "validation");
    expect(sst.map((e) => [e.input, e.target])).toEqual([
      ["sentence: it 's a charming and often affecting journey . ", "positive"],
      ["sentence: unflinchingly bleak and desperate ", "negative"],
    ]);
    const sstTest = await loadSplit("sst2", fixture("glue", "SST-2"), "test");
    expect(sstTest).toEqual([{ id: "0", input: "sentence: uneasy mishmash of styles and genres .", target: "<unk>" }]);
  });
});

describe("SQuAD-format QA", () => {
  it("pads punctuation like T5's squad preprocessor; first answer is the target, all answers kept", async () => {
    const dev = await loadSplit("squad", fixture("squad"), "validation");
    const context = "context: Super Bowl 50 was played on February 7 , 2016 , at Levi ' s Stadium in Santa Clara , California . ";
    expect(dev).toEqual([
      {
        id: "56be4db0acb8001400a502ec",
        input: `question: Where was Super Bowl 50 played ? ${context}`,
        target: "Levi ' s Stadium",
        answers: ["Levi ' s Stadium", "Santa Clara , California"],
      },
      {
        id: "56be4db0acb8001400a502ed",
        input: `question: When was Super Bowl 50 ? ${context}`,
        target: "February 7 , 2016",
        answers: ["February 7 , 2016"],
      },
    ]);
  });

  it("reads an MRQA set converted to SQuAD JSON when pointed at the file", async () => {
    const ex = await loadSplit("mrqa", fixture("mrqa", "TextbookQA.json"), "validation");
    expect(ex).toEqual([
      {
        id: "tq-1",
        input: "question: What does photosynthesis make ? context: Photosynthesis makes sugar ( glucose ) . ",
        target: "sugar",
        answers: ["sugar"],
      },
    ]);
  });
});

describe("MRQA (official JSONL), as the paper's mrqa_to_tsv + preprocess_tsv_to_qa", () => {
  it("header skipped, whitespace normalised, first question only, detected answer as target", async () => {
    const ex = await loadSplit("mrqa", fixture("mrqa", "TextbookQA.jsonl"), "validation");
    expect(ex).toEqual([
      {
        id: "tq-1",
        input: "question: What does photosynthesis make ? context: Photosynthesis makes sugar ( glucose ) . ",
        target: "sugar",
        answers: ["sugar", "glucose"],
      },
    ]);
  });
});

describe("registry", () => {
  it("names, labels and primary metrics", () => {
    expect(getTask("CB").labels).toEqual(["entailment", "contradiction", "neutral"]);
    expect(getTask("cb").metrics).toEqual(["mean_3class_f1", "accuracy", "average"]);
    expect(getTask("multirc").primaryMetric).toBe("average");
    expect(getTask("squad").primaryMetric).toBe("f1");
    expect(getTask("rte").primaryMetric).toBe("accuracy");
    expect(() => getTask("nope")).toThrow(/unknown task "nope"; expected one of boolq, cb/);
  });
});

describe("details of T5's string handling", () => {
  it("dropping the task prefix (remove_first_text_token) equals joining the fields", () => {
    const fields = [["hypothesis", "h"], ["premise", "p"]] as const;
    expect(removeFirstTextToken(`rte ${joinFields(fields)}`)).toBe(joinFields(fields));
    expect(joinFields([["question", ""], ["passage", "p"]])).toBe("question:  passage: p");
  });

  it("punctuation padding uses RE2's ASCII classes", () => {
    // \W is [^0-9A-Za-z_] per code point, so accented letters are padded too; \s excludes U+00A0.
    expect(padPunctuation("café (x)")).toBe("caf é ( x ) ");
    expect(padPunctuation("a\u00a0b")).toBe("a \u00a0 b");
    expect(stringJoin(["question:", "a  b ", "context:", "c"])).toBe("question: a b context: c");
  });

  it("ReCoRD entities sort by code point like Python (JS sorts UTF-16 units)", () => {
    const [ex] = getTask("record").format({
      passage: "p",
      query: "q @placeholder",
      entities: ["\u{1F600}", "\uFF5E", "B", "B"],
      answers: ["B"],
      idx: { passage: 1, query: 2 },
    });
    expect(ex!.input).toBe("query: q @placeholder entities: B, \uFF5E, \u{1F600} passage: p");
  });

  it("WSC from a Hugging Face row; span2_index outside the text is a field error", () => {
    const row = { text: "Tom said he would come.", span1_index: 0, span2_index: 2, span1_text: "Tom", span2_text: "he", idx: 4, label: 1 };
    expect(getTask("wsc").format(row)).toEqual([{ id: "4", input: "Tom said *he* would come.", target: "Tom", label: "True" }]);
    expect(getTask("wsc").format({ ...row, label: 0 }, { split: "train" })).toEqual([]);
    expect(() => getTask("wsc").format({ ...row, span2_index: 9 })).toThrow('field "span2_index": 9 must be > 0 and < 5');
    expect(getTask("wsc").labels).toBeUndefined();
  });
});
