// The query a reader types, made into one Material's search (lunr) reads as meant. Three things
// go wrong otherwise:
//
// - Korean written without spaces: `빌드캐시` or `포트사용중` is one term, and lunr matches a
//   term only as the start of an indexed word, so pages that write `빌드 캐시` are not found.
//   The compound is split into the words the site itself uses (search/vocabulary.json, written
//   at build time by runner/site/search_index.py), as the index was split at build time and as
//   `runner search` splits a query (runner/triage/korean.py); the whole word is kept too, for
//   pages that write it whole.
// - A line pasted from a terminal: lunr reads a leading `-` as "must not contain" (so
//   `--progress` hid every page that names the flag), a leading `+`, a trailing `~` or `^` as
//   operators, and `word:` as a field name (`docker-buildx: exec format error` found nothing:
//   the query did not parse). They are plain characters in a log line.
// - Words that name nothing: English stop words, one-letter flags, and the words every playbook
//   uses (`docker`, `image`: search/vocabulary.json's `common`) match every page, and as a
//   prefix they match headings weighed a thousand times (`docker` finds `.dockerignore`);
//   Material also ranks a page by the share of the query's terms it matches. They are left out
//   while other terms remain.
//
// Tool names written in Hangul (`빌드킷`) also search as the pages write them (`buildkit`).
//
// Material searches every term as a prefix, so `build` also finds `buildx` and `buildkit`, and
// a short title full of those outranks one that has the word itself. On the English site a
// word also searches whole, weighed more (vocabulary.json's `exact_boost`, by the site's
// language: runner/site/search_index.py says why not on the Korean site).
//
// The rewrite happens where the query leaves for Material's search worker, so the search box
// keeps what the reader typed.
(() => {
  const QUERY = 2  // Material's SearchMessageType.QUERY
  const HANGUL = /[가-힣]+/g
  let vocabulary = null

  const config = JSON.parse(document.getElementById("__config")?.textContent || "{}")
  const base = new URL(config.base || ".", location.href)
  // A query typed before the words arrive waits for them (a few kB, fetched once per page).
  const loaded = fetch(new URL("search/vocabulary.json", base.href.endsWith("/") ? base : base.href + "/"))
    .then(response => response.ok ? response.json() : null)
    .then(data => {
      if (data)
        vocabulary = {
          words: new Set(data.words), endings: data.endings, prefixes: new Set(data.prefixes),
          minPart: data.min_part, loanwords: data.loanwords || {}, stopWords: new Set(data.stop_words || []),
          common: new Set(data.common || []), exactBoost: data.exact_boost || 0
        }
    })
    .catch(() => {})  // without them, queries go as typed
  let settled = false
  loaded.then(() => { settled = true })

  function stripEnding(word) {
    for (const ending of vocabulary.endings)  // longest first
      if (word.length - ending.length >= vocabulary.minPart && word.endsWith(ending))
        return word.slice(0, -ending.length)
    return word
  }

  // A query term is split where the site's words cover it, into as many of them as cover it
  // (as the index was: `빌드캐시` is 빌드 + 캐시 even where the site also writes it whole); a
  // syllable no word covers stays a term of its own (the index needs a full cover, a query only
  // as much as the reader wrote). The whole word is kept as a term too.
  function splitWord(word) {
    const core = stripEnding(word)
    const n = core.length
    // best[i]: [syllables covered by words, parts, cut points] for core[:i]
    const best = [[0, 0, []]]
    for (let end = 1; end <= n; end++) {
      let choice = null
      for (let start = 0; start < end; start++) {
        const part = core.slice(start, end)
        const known = (part.length >= vocabulary.minPart && vocabulary.words.has(part))
          || (start === 0 && vocabulary.prefixes.has(part))
        if (!known && end - start > 1)
          continue
        const [covered, parts, cuts] = best[start]
        const candidate = [covered + (known ? part.length : 0), parts + 1, start ? [...cuts, start] : cuts]
        if (!choice || candidate[0] > choice[0] || (candidate[0] === choice[0] && candidate[1] > choice[1]))
          choice = candidate
      }
      best.push(choice)
    }
    const [covered, parts, cuts] = best[n]
    const terms = core === word ? [word] : [word, core]  // `포트가` is also 포트
    if (covered === 0 || parts < 2)
      return terms
    const pieces = []
    let last = 0
    for (const cut of [...cuts, n]) {
      pieces.push(core.slice(last, cut))
      last = cut
    }
    return [...terms, ...pieces]
  }

  function rewrite(query) {
    query = query
      .replace(/(^|\s)[-+]+(?=\S)/g, "$1")
      .replace(/[~^]+(?=\s|$)/g, "")
      .replace(/:/g, " ")
    if (!vocabulary)
      return query
    const terms = query.split(/\s+/).filter(term => term)
    const telling = terms
      .filter(term => !vocabulary.common.has(term.toLowerCase()))
      .filter(term => !vocabulary.stopWords.has(term.toLowerCase()))
      .filter(term => !/^[\x21-\x7e]$/.test(term))  // `-d` of `up -d`: a prefix of every d-word
    const rewritten = (telling.length ? telling : terms)
      .map(term => term.replace(HANGUL, word => {
        const terms = splitWord(word)
        const loan = vocabulary.loanwords[stripEnding(word)]
        return (loan ? [...terms, loan] : terms).join(" ")
      }))
      .join(" ")
    if (!vocabulary.exactBoost)
      return rewritten
    // `word^N` is searched whole (Material leaves a boosted term as it is), `word` as a prefix
    return rewritten.split(" ")
      .filter(term => term)
      .map(term => term.includes('"') ? term : `${term}^${vocabulary.exactBoost} ${term}`)
      .join(" ")
  }

  const post = Worker.prototype.postMessage
  Worker.prototype.postMessage = function (message, ...rest) {
    if (!(message && message.type === QUERY && typeof message.data === "string"))
      return post.call(this, message, ...rest)
    if (settled)
      return post.call(this, { ...message, data: rewrite(message.data) }, ...rest)
    loaded.then(() => post.call(this, { ...message, data: rewrite(message.data) }, ...rest))
  }
  window.__runnerSearchQuery = rewrite  // for the browser tests
})()
