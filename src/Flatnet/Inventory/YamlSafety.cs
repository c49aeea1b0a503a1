using YamlDotNet.Core;

namespace Flatnet.Inventory;

/// <summary>
/// What no YAML flatnet reads may hold, checked on the parser's events before any node is built: every YAML text
/// flatnet parses (the inventory, a release's configs for Plan --diff) goes through <see cref="Unsafe"/> first.
/// </summary>
public static class YamlSafety
{
    /// <summary>An inventory file nests a few levels: deeper, the deserializer's recursion ends the process (a stack overflow).</summary>
    public const int MaxDepth = 32;

    /// <summary>
    /// The first thing in <paramref name="text"/> no inventory file has and that would cost without end, read as YAML
    /// events before anything is built from them: an alias (*name, "billion laughs"), or nesting deeper than
    /// <see cref="MaxDepth"/>. Null when there is none (a text that does not parse has none here: the parse says why).
    /// </summary>
    public static (int Line, string Problem, string Fix)? Unsafe(string text)
    {
        try
        {
            var parser = new Parser(new StringReader(text));
            var depth = 0;
            while (parser.MoveNext())
                switch (parser.Current)
                {
                    case YamlDotNet.Core.Events.AnchorAlias alias:
                        return ((int)alias.Start.Line, "a YAML alias (*name): flatnet's inventory takes none",
                            "write the value out where the alias is (an alias can make a file of a few lines expand without end)");
                    case YamlDotNet.Core.Events.NodeEvent and (YamlDotNet.Core.Events.MappingStart or YamlDotNet.Core.Events.SequenceStart) when ++depth > MaxDepth:
                        return ((int)parser.Current.Start.Line, $"nested deeper than any inventory file ({MaxDepth} levels at most)", "compare with the examples in hosts/");
                    case YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd:
                        depth--;
                        break;
                }
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException) { } // the parse below says why
        return null;
    }
}
