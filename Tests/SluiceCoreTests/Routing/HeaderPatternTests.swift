import Foundation
import Synchronization
import Testing
@testable import SluiceCore

/// `header_regex`: the linear-time engine's matching (checked against Swift's `Regex` on the
/// same cases), the patterns it refuses, and that it needs no lock.
@Suite struct HeaderPatternTests {
    @Test(arguments: [
        ("curl/.*", "curl/8.4.0", true),
        ("curl/.*", "Mozilla curl/8", false),
        ("curl/[0-9.]+", "curl/8.4.0", true),
        ("curl/[0-9.]+", "curl/", false),
        ("gold|platinum", "platinum", true),
        ("gold|platinum", "goldplatinum", false),
        ("gold|platinum", "", false),
        ("", "", true),
        ("", "x", false),
        ("a|", "", true),
        ("abc", "abc", true),
        ("abc", "abcd", false),
        ("abc", "ab", false),
        ("^abc$", "abc", true),
        ("^a|b$", "b", true),
        ("a^b", "ab", false),
        ("a.c", "a-c", true),
        ("a.c", "a\nc", false),
        ("[a-c]+", "abcabc", true),
        ("[a-c]+", "abcd", false),
        ("[^a-c]+", "xyz", true),
        ("[^a-c]+", "xaz", false),
        ("[\\]a]+", "]a]", true),
        ("[a-]+", "a-a", true),
        ("[-a]", "-", true),
        ("[\\d_]+", "12_3", true),
        ("[\\D]", "x", true),
        ("[\\D]", "1", false),
        ("\\d{3}-\\d{4}", "555-1234", true),
        ("\\d{3}-\\d{4}", "555-123", false),
        ("\\w+@\\w+\\.com", "ann_1@example.com", true),
        ("\\w+", "a b", false),
        ("\\W", " ", true),
        ("a\\sb", "a\tb", true),
        ("\\S+", "ab c", false),
        ("\\.", ".", true),
        ("\\.", "x", false),
        ("a\\+b\\(c\\)", "a+b(c)", true),
        ("\\x41\\t", "A\t", true),
        ("(ab)+", "ababab", true),
        ("(ab)+", "ababa", false),
        ("(?:ab)*c", "c", true),
        ("(?:ab)*c", "abababc", true),
        ("a?b?c?", "", true),
        ("a?b?c?", "ac", true),
        ("a?b?c?", "ca", false),
        ("a{2}", "aa", true),
        ("a{2}", "aaa", false),
        ("a{2,}", "aaaaa", true),
        ("a{2,}", "a", false),
        ("a{2,4}", "aaaa", true),
        ("a{2,4}", "aaaaa", false),
        ("a{,2}", "", true),
        ("a{,2}", "aaa", false),
        ("a{x}", "a{x}", true),
        ("x{", "x{", true),
        ("a*?b", "aab", true),
        ("a+?", "aaa", true),
        ("(a|ab)(c|bcd)(d*)", "abcd", true),
        ("(a*)*b", "aaab", true),
        ("(a*)+", "", true),
        ("(|a)+", "aa", true),
        ("(a|aa)+b", String(repeating: "a", count: 10) + "b", true),
        ("v[0-9]+\\.[0-9]+(-beta)?", "v1.20-beta", true),
        ("v[0-9]+\\.[0-9]+(-beta)?", "v1.20-alpha", false),
        ("é+", "éé", true),
        (".", "é", true),
        ("[à-ÿ]", "é", true),
    ])
    func matchesTheWholeValueAsSwiftRegexDoes(pattern: String, value: String, expected: Bool) throws {
        let compiled = try HeaderPattern(pattern)
        #expect(compiled.matches(value) == expected)
        let reference = try Regex(pattern)
        #expect((try reference.wholeMatch(in: value) != nil) == expected, "the reference disagrees with the table")
    }

    @Test func aPatternThatBacktracksExponentiallyAnswersAtOnce() throws {
        // A backtracking engine tries every way to split the a's between `a` and `aa` before
        // failing: 2^40 of them; the NFA simulation keeps two states per character.
        let pattern = try HeaderPattern("(a|aa)+b")
        for count in [40, 1000, 16 * 1024] {
            #expect(!pattern.matches(String(repeating: "a", count: count)))
            #expect(pattern.matches(String(repeating: "a", count: count) + "b"))
        }
        let nested = try HeaderPattern("(a*)*(x+x+)+y")
        #expect(!nested.matches(String(repeating: "a", count: 40) + String(repeating: "x", count: 40)))
    }

    @Test(arguments: [
        ("(a)\\1", "backreferences are not supported (at offset 3)"),
        ("(?<n>a)\\k<n>", "named groups are not supported (at offset 0)"),
        ("a(?=b)", "lookahead are not supported (at offset 1)"),
        ("a(?!b)", "lookahead are not supported (at offset 1)"),
        ("(?<=a)b", "lookbehind are not supported (at offset 0)"),
        ("(?i)abc", "(?…) flags and group kinds other than (?:…) are not supported (at offset 0)"),
        ("\\bword\\b", "anchors other than ^ and $ are not supported (at offset 0)"),
        ("\\p{L}", "the escape \\p is not supported (at offset 0)"),
        ("a*+", "a quantifier cannot follow another (possessive and stacked quantifiers are not supported) (at offset 1)"),
        ("a**", "a quantifier cannot follow another (possessive and stacked quantifiers are not supported) (at offset 1)"),
        ("*a", "nothing to repeat (at offset 0)"),
        ("a|{2}", "nothing to repeat (at offset 2)"),
        ("(unclosed", "missing ')' for the '(' here (at offset 0)"),
        ("a)", "unmatched ')' (at offset 1)"),
        ("[abc", "missing ']' for the '[' here (at offset 0)"),
        ("[]a]", "an empty class (at offset 0)"),
        ("[^]", "an empty class (at offset 0)"),
        ("[[:alpha:]]", "nested classes and [:name:] are not supported (at offset 1)"),
        ("[a&&b]", "class set operations are not supported (at offset 2)"),
        ("[z-a]", "a range out of order (at offset 1)"),
        ("a{3,2}", "{3,2}: the upper count is below the lower (at offset 1)"),
        ("a{1001}", "a repetition count above 1000 (at offset 5)"),
        ("\\x4", "\\x takes two hexadecimal digits (at offset 0)"),
        ("abc\\", "a trailing backslash (at offset 3)"),
        ("(a{1000}){1000}", "compiles to more than 4096 steps; use smaller {m,n} counts or fewer alternatives"),
        (String(repeating: "(", count: 65) + "a" + String(repeating: ")", count: 65), "groups nested more than 64 deep (at offset 64)"),
    ])
    func patternsOutsideTheSyntaxAreRefusedWithWhyAndWhere(pattern: String, reason: String) {
        #expect(throws: HeaderPattern.SyntaxError.self) { try HeaderPattern(pattern) }
        do {
            _ = try HeaderPattern(pattern)
        } catch {
            #expect(error.description == reason)
        }
    }

    @Test func theBoundsThemselvesAreAccepted() throws {
        #expect(try HeaderPattern("a{1000}").matches(String(repeating: "a", count: 1000)))
        #expect(try HeaderPattern("[a-z]{1,1000}").matches(String(repeating: "q", count: 1000)))
        let nested = String(repeating: "(", count: 64) + "a" + String(repeating: ")", count: 64)
        #expect(try HeaderPattern(nested).matches("a"))
    }

    @Test func aRouteWithARefusedPatternNamesTheRouteAndTheHeader() {
        let yaml = "routes: [{name: r, model: m, split: [{version: 1, weight: 100}], rules: [{match: {header_regex: {X-Tier: '(a)\\1'}}, version: 1}]}]"
        #expect {
            _ = try RouteConfig.parseFile(yaml: yaml, file: "routes.yaml")
        } throws: { error in
            "\(error)" == "routes.yaml: routes[0].rules[0].match.header_regex.x-tier: is not a valid regular expression: backreferences are not supported (at offset 3)"
        }
    }

    /// The compiled pattern is plain immutable values: no object in it is shared between the
    /// copies that loops hold (the old one was a class around a `Mutex`, which Mirror cannot
    /// look into), so two loops matching at once never wait for each other.
    @Test func matchingTakesNoLockAndRunsOnManyThreadsAtOnce() throws {
        let pattern = try HeaderPattern("(a|aa)+b|curl/[0-9.]+")
        func objects(_ value: Any) -> [String] {
            let mirror = Mirror(reflecting: value)
            let own = mirror.displayStyle == .class ? [String(describing: mirror.subjectType)] : []
            return own + mirror.children.flatMap { objects($0.value) }
        }
        #expect(objects(pattern) == [])
        let agreed = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            for j in 0..<200 {
                let value = (i + j) % 2 == 0 ? String(repeating: "a", count: 40) + "b" : "curl/8.\(j)"
                let miss = String(repeating: "a", count: 40)
                if pattern.matches(value) && !pattern.matches(miss) { agreed.add(1, ordering: .relaxed) }
            }
        }
        #expect(agreed.load(ordering: .relaxed) == 8 * 200)
    }
}
