global using NUnit.Framework;
global using Flatnet.Tools;
global using Flatnet.Provisioning;
global using Flatnet.Tasks;
