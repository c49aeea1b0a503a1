using System.Runtime.Versioning;
using System.Security.AccessControl;
using System.Security.Principal;

namespace Flatnet.Files;

/// <summary>
/// On a Windows build machine, a file that may hold a key is made with an ACL of its owner alone, protected from the
/// folder's inherited rules, in the same call that creates it: never readable by others, not even for a moment.
/// Folders that hold keys are made the same way, their one rule inherited by everything written into them (nebula-cert
/// and ssh-keygen write keys there): a folder's inherited ACL (Authenticated Users: Modify below C:\, D:\...) never
/// applies (learn.microsoft.com: FileSystemAclExtensions.CreateDirectory).
/// </summary>
[SupportedOSPlatform("windows")]
internal static class OwnerOnlyOnWindows
{
    private static SecurityIdentifier Me => WindowsIdentity.GetCurrent().User!;

    public static void CreateFile(string path) =>
        new FileInfo(path).Create(FileMode.CreateNew, FileSystemRights.FullControl, FileShare.None, 4096, FileOptions.None, FileSecurityOfMine()).Dispose();

    public static void CreateDirectory(string path) => FolderSecurity().CreateDirectory(path);

    /// <summary>An existing file or folder made this user's alone (protected, one rule), e.g. a key a tool just wrote.</summary>
    public static void Restrict(string path)
    {
        if (Directory.Exists(path)) new DirectoryInfo(path).SetAccessControl(FolderSecurity());
        else new FileInfo(path).SetAccessControl(FileSecurityOfMine());
    }

    /// <summary>Who besides this user, SYSTEM and Administrators may read or change <paramref name="path"/>; empty when no one.</summary>
    public static IReadOnlyList<string> Others(string path)
    {
        var trusted = new[] { Me, new SecurityIdentifier(WellKnownSidType.LocalSystemSid, null), new SecurityIdentifier(WellKnownSidType.BuiltinAdministratorsSid, null) };
        var rules = new DirectoryInfo(path).GetAccessControl().GetAccessRules(includeExplicit: true, includeInherited: true, typeof(SecurityIdentifier));
        return rules.OfType<FileSystemAccessRule>()
            .Where(r => r.AccessControlType == AccessControlType.Allow && !trusted.Contains(r.IdentityReference) &&
                        (r.FileSystemRights & (FileSystemRights.ReadData | FileSystemRights.WriteData | FileSystemRights.ChangePermissions | FileSystemRights.TakeOwnership)) != 0)
            .Select(r => Name(r.IdentityReference)).Distinct().ToList();
    }

    private static string Name(IdentityReference sid)
    {
        try { return sid.Translate(typeof(NTAccount)).Value; } catch (IdentityNotMappedException) { return sid.Value; }
    }

    /// <summary>A file's ACL: protected from the folder's rules, this user alone.</summary>
    private static FileSecurity FileSecurityOfMine()
    {
        var security = new FileSecurity();
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false);
        security.AddAccessRule(new FileSystemAccessRule(Me, FileSystemRights.FullControl, AccessControlType.Allow));
        return security;
    }

    private static DirectorySecurity FolderSecurity()
    {
        var security = new DirectorySecurity();
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false);
        security.AddAccessRule(new FileSystemAccessRule(Me, FileSystemRights.FullControl,
            InheritanceFlags.ContainerInherit | InheritanceFlags.ObjectInherit, PropagationFlags.None, AccessControlType.Allow));
        return security;
    }
}
