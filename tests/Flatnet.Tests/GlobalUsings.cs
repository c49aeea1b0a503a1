global using NUnit.Framework;
global using Flatnet.Tools;
global using Flatnet.Provisioning;
global using Flatnet.Tasks;
global using Flatnet.Files;
global using Flatnet.Output;
global using Flatnet.Processes;
