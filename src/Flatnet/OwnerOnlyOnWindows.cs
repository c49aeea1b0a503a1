using System.Runtime.Versioning;
using System.Security.AccessControl;
using System.Security.Principal;

namespace Flatnet;

/// <summary>
/// On a Windows build machine, a file that may hold a key is made with an ACL of its owner alone, protected from the
/// folder's inherited rules, in the same call that creates it: never readable by others, not even for a moment.
/// </summary>
[SupportedOSPlatform("windows")]
internal static class OwnerOnlyOnWindows
{
    public static void CreateFile(string path)
    {
        var security = new FileSecurity();
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false);
        security.AddAccessRule(new FileSystemAccessRule(WindowsIdentity.GetCurrent().User!, FileSystemRights.FullControl, AccessControlType.Allow));
        new FileInfo(path).Create(FileMode.CreateNew, FileSystemRights.FullControl, FileShare.None, 4096, FileOptions.None, security).Dispose();
    }
}
