// Certificates: the CA, host certificates, their renewal and revocation.
FlatnetTask(new Flatnet.Workflows.InitCaTask());
FlatnetTask(new Flatnet.Workflows.GenerateCertTask());
FlatnetTask(new Flatnet.Workflows.RenewCertTask());
FlatnetTask(new Flatnet.Workflows.CheckCertsTask());
FlatnetTask(new Flatnet.Workflows.RevokeHostTask());
FlatnetTask(new Flatnet.Workflows.RotateCaTask());
