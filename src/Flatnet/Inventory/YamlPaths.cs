using YamlDotNet.RepresentationModel;

namespace Flatnet.Inventory;

/// <summary>
/// Every node of a YAML document by its path, as flatnet names fields: keys joined by dots, list items by index
/// (lighthouses[0].endpoints[1]). Each is visited with the node that marks where it is written (a key, or a list
/// item) and its value. What maps fields to lines and what compares two configs read the same paths.
/// </summary>
public static class YamlPaths
{
    public static void Each(YamlNode root, Action<string, YamlNode, YamlNode> visit)
    {
        void Walk(YamlNode node, string path)
        {
            switch (node)
            {
                case YamlMappingNode map:
                    foreach (var (key, value) in map.Children)
                    {
                        var child = path.Length == 0 ? key.ToString() : $"{path}.{key}";
                        visit(child, key, value);
                        Walk(value, child);
                    }
                    break;
                case YamlSequenceNode seq:
                    for (var i = 0; i < seq.Children.Count; i++)
                    {
                        visit($"{path}[{i}]", seq.Children[i], seq.Children[i]);
                        Walk(seq.Children[i], $"{path}[{i}]");
                    }
                    break;
            }
        }
        Walk(root, "");
    }
}
