//! The platforms commands arrive from (the terminal, Discord, Matrix), as the metrics, the logs
//! and the edit log name them.

/// Where a command came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Platform {
    Terminal,
    Discord,
    Matrix,
}

impl Platform {
    pub fn name(self) -> &'static str {
        match self {
            Platform::Terminal => "terminal",
            Platform::Discord => "discord",
            Platform::Matrix => "matrix",
        }
    }

    /// The platform a stored name stands for.
    pub fn parse(s: &str) -> Option<Platform> {
        [Platform::Terminal, Platform::Discord, Platform::Matrix]
            .into_iter()
            .find(|p| p.name() == s)
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
