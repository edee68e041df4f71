using System.Text;
using Workflows.Cli;

Console.OutputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
return await Commands.RunAsync(args).ConfigureAwait(false);
