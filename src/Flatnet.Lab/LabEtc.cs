namespace Flatnet.Lab;

/// <summary>
/// What a lab "machine's" hosts file holds before flatnet touches it: localhost, and one entry of the user's own that
/// every install and uninstall must leave exactly as it is. A Windows stand-in's is Windows' (CRLF, comments).
/// </summary>
public static class LabEtc
{
    public const string UsersOwnEntry = "192.0.2.80 office-printer";

    public const string LinuxHosts = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n" + UsersOwnEntry + "   # the user's own\n";

    public const string WindowsHosts = "# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n# localhost name resolution is handled within DNS itself.\r\n" +
                                       "#\t127.0.0.1       localhost\r\n127.0.0.1 localhost\r\n" + UsersOwnEntry + "   # the user's own\r\n";
}
