//! `pureboot-agent`: the node agent that moves a disk between two nodes.
//! Everything lives in [`pureboot::agent`]; this file only hands over.

fn main() -> std::process::ExitCode {
    pureboot::agent::main()
}
